#!/usr/bin/env bash
# A compressed chunk whose companion's TOAST table is damaged on disk gives a clear error, never a
# crash or wrong rows, from the columnstore scan's own TOAST reader (toast_read in
# src/columnstore/scan_exec.cpp). One column value per device, each damaged in its own way: its last
# TOAST chunk gone ("missing chunk"); a chunk renumbered past the value's last chunk, and one
# renumbered inside its range (so two chunks claim one place and one place none) ("unexpected chunk
# number"); a chunk shorter than its place needs ("unexpected chunk size"); a value whose TOAST
# pointer in the companion row claims fewer bytes than its chunks hold, so that a chunk comes after
# the last one the size allows ("unexpected chunk number": without that check the reader would
# copy it past its buffer). Each error has SQLSTATE XX001 (data_corrupted); the undamaged device
# and the other columns still read, and the server keeps running.
source "$(dirname "$0")/../../scripts/lib.sh"
TEST_PORT=55478
source "$(dirname "$0")/lib/common.sh"

cluster_start "$TEST_DATA" "$TEST_PORT"
sql -c "CREATE EXTENSION strata" >/dev/null
# One batch per device; only column a (1,000 md5 texts, about 33 kB a batch: more than a page, so
# the companion row cannot keep it inline) is stored in the TOAST table, in several TOAST chunks
# per value.
sql <<'SQL' >/dev/null || { echo FAIL; exit 1; }
CREATE TABLE m (time timestamptz NOT NULL, dev int NOT NULL, a text, b int);
SELECT create_hypertable('m', by_range('time', INTERVAL '100 days'));
ALTER TABLE m SET (timescaledb.compress, timescaledb.compress_segmentby = 'dev');
INSERT INTO m SELECT '2024-01-01'::timestamptz + g * interval '1 second', g % 6, md5(g::text), g % 3
  FROM generate_series(1, 6000) g;
CREATE TABLE m_expected AS SELECT * FROM m;
SELECT compress_chunk(c) FROM show_chunks('m') c;
SQL
comp=_strata_internal._hyper_1_1_cs
toast=$(sql -c "SELECT reltoastrelid::regclass FROM pg_class WHERE oid = '$comp'::regclass")
toastoid=$(sql -c "SELECT reltoastrelid FROM pg_class WHERE oid = '$comp'::regclass")
check "six TOAST values of four chunks or more" "6 t" \
  "$(sql -F ' ' -c "SELECT count(DISTINCT chunk_id), min(n) >= 4 FROM (SELECT chunk_id, count(*) OVER (PARTITION BY chunk_id) n FROM $toast) x")"
check "the companion fits in one page" 1 "$(sql -c "SELECT pg_relation_size('$comp') / 8192")"
expected=$(sql -c "SELECT count(*), sum(b), min(time), max(time) FROM m")
# The damaged values by their rank among the TOAST values (chunk_id order), and which device each
# belongs to: the device's column a is the TOAST pointer naming the value.
ids=($(sql -c "SELECT DISTINCT chunk_id FROM $toast ORDER BY 1"))
devs=($(sql -c "SELECT dev FROM $comp ORDER BY dev"))
# (block, offset) of chunk `seq` of the value ranked `rank` (seq -1: its last chunk)
loc() {
  local id=${ids[$1]} seq=$2
  [ "$seq" = -1 ] && seq="(SELECT max(chunk_seq) FROM $toast WHERE chunk_id = $id)"
  sql -F ' ' -c "SELECT (ctid::text::point)[0]::int, (ctid::text::point)[1]::int FROM $toast
                 WHERE chunk_id = $id AND chunk_seq = $seq"
}
read -r b0 o0 <<<"$(loc 0 -1)"   # last chunk gone
read -r b1 o1 <<<"$(loc 1 1)"    # chunk 1 renumbered 7 (past the last chunk)
read -r b2 o2 <<<"$(loc 2 1)"    # chunk 1 renumbered 2 (inside the range)
read -r b3 o3 <<<"$(loc 3 2)"    # chunk 2 shorter by 100 bytes
for v in "$o0" "$o1" "$o2" "$o3"; do [ -n "$v" ] || { echo "TOAST chunks not found"; echo FAIL; exit 1; }; done
toastfile=$TEST_DATA/$(sql -c "SELECT pg_relation_filepath('$toast')")
compfile=$TEST_DATA/$(sql -c "SELECT pg_relation_filepath('$comp')")
cluster_stop "$TEST_DATA"
python3 - "$toastfile" "$compfile" "$toastoid" "${ids[4]}" "$b0" "$o0" "$b1" "$o1" "$b2" "$o2" "$b3" "$o3" <<'PY' || { echo FAIL; exit 1; }
import struct, sys
toastfile, compfile = sys.argv[1], sys.argv[2]
toastoid, id4, b0, o0, b1, o1, b2, o2, b3, o3 = map(int, sys.argv[3:])
MAX_CHUNK = 1996  # TOAST_MAX_CHUNK_SIZE of 8 kB pages

def edit(path, blk, change):
    with open(path, "r+b") as f:
        f.seek(blk * 8192)
        page = bytearray(f.read(8192))
        change(page)
        f.seek(blk * 8192)
        f.write(page)

def tuple_data(page, o):  # offset of the tuple's data (after its header) at line pointer o
    lp = struct.unpack_from("<I", page, 24 + 4 * (o - 1))[0]
    off = lp & 0x7FFF
    return off + page[off + 22]

def unused(o):  # the line pointer becomes unused: the chunk is gone
    return lambda page: struct.pack_into("<I", page, 24 + 4 * (o - 1), 0)

def renumber(o, seq):  # chunk_seq (after chunk_id) becomes seq
    return lambda page: struct.pack_into("<i", page, tuple_data(page, o) + 4, seq)

def shorten(o, by):  # the chunk_data varlena (4-byte header, after chunk_id and chunk_seq) loses `by` bytes
    def change(page):
        at = tuple_data(page, o) + 8
        size = struct.unpack_from("<I", page, at)[0] >> 2
        struct.pack_into("<I", page, at, (size - by) << 2)
    return change

for blk, change in [(b0, unused(o0)), (b1, renumber(o1, 7)), (b2, renumber(o2, 2)), (b3, shorten(o3, 100))]:
    edit(toastfile, blk, change)

# The companion row's TOAST pointer to value id4 (varatt_external: rawsize, extinfo, valueid,
# toastrelid) claims two chunks fewer: the reader expects fewer chunks than the index gives.
def claim_less(page):
    at = page.find(struct.pack("<II", id4, toastoid))
    if at < 8 or page.find(struct.pack("<II", id4, toastoid), at + 1) != -1:
        sys.exit("TOAST pointer not found once")
    size = struct.unpack_from("<I", page, at - 4)[0] & 0x3FFFFFFF
    nchunks = (size - 1) // MAX_CHUNK + 1
    new = (nchunks - 2) * MAX_CHUNK  # whole chunks: the last one it allows has the right size
    struct.pack_into("<iI", page, at - 8, new + 4, new)
edit(compfile, 0, claim_less)
PY
cluster_start "$TEST_DATA" "$TEST_PORT" || { echo FAIL; exit 1; }

# Each device's column a: the error, or for the undamaged one whether it reads every value back.
got=""
for d in "${devs[@]}"; do
  out=$({ sql -v VERBOSITY=verbose -c "SELECT count(*) = 0 FROM (SELECT time, a FROM m WHERE dev = $d
                                         EXCEPT ALL SELECT time, a FROM m_expected WHERE dev = $d) x" 2>&1 || true; } |
        grep -E 'ERROR|^[tf]$' | sed -E 's/TOAST value [0-9]+/TOAST value N/')
  got+="$out"$'\n'
done
errors=$(sort <<<"$got" | grep -v '^$')
check "errors of the damaged values, the undamaged one reads back" \
  "ERROR:  XX001: missing chunk in TOAST value N of companion table \"_hyper_1_1_cs\"
ERROR:  XX001: unexpected chunk number in TOAST value N of companion table \"_hyper_1_1_cs\"
ERROR:  XX001: unexpected chunk number in TOAST value N of companion table \"_hyper_1_1_cs\"
ERROR:  XX001: unexpected chunk number in TOAST value N of companion table \"_hyper_1_1_cs\"
ERROR:  XX001: unexpected chunk size in TOAST value N of companion table \"_hyper_1_1_cs\"
t" "$errors"
check "the undamaged columns read" "$expected" "$(sql -c "SELECT count(*), sum(b), min(time), max(time) FROM m")"
check "the server kept running (no backend crashed)" 0 "$(grep -c 'terminated by signal\|was terminated' "$TEST_DATA.log" || true)"
echo PASS
