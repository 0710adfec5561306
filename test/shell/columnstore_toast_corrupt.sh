#!/usr/bin/env bash
# A compressed chunk whose companion's TOAST table is damaged on disk gives a clear error, never a
# crash or wrong rows, from the columnstore scan's own TOAST reader (toast_read in
# src/columnstore/scan_exec.cpp): the last TOAST chunk of a column's value gone ("missing chunk"),
# and another value's chunk with a wrong sequence number ("unexpected chunk number"), each error with
# SQLSTATE XX001 (data_corrupted); the undamaged columns still read and the server keeps running.
source "$(dirname "$0")/../../scripts/lib.sh"
TEST_PORT=55478
source "$(dirname "$0")/lib/common.sh"

cluster_start "$TEST_DATA" "$TEST_PORT"
sql -c "CREATE EXTENSION strata" >/dev/null
# One batch per device; only column a (1,000 float8 without a pattern) is big enough to be stored
# in the TOAST table, in several TOAST chunks per value.
sql <<'SQL' >/dev/null || { echo FAIL; exit 1; }
CREATE TABLE m (time timestamptz NOT NULL, dev int NOT NULL, a float8, b int);
SELECT create_hypertable('m', by_range('time', INTERVAL '100 days'));
ALTER TABLE m SET (timescaledb.compress, timescaledb.compress_segmentby = 'dev');
INSERT INTO m SELECT '2024-01-01'::timestamptz + g * interval '1 second', g % 2, hashint8(g)::float8 / 7, g % 3
  FROM generate_series(1, 2000) g;
SELECT compress_chunk(c) FROM show_chunks('m') c;
SQL
toast=$(sql -c "SELECT reltoastrelid::regclass FROM pg_class WHERE oid = '_strata_internal._hyper_1_1_cs'::regclass")
check "two TOAST values of three chunks or more" "2 t" \
  "$(sql -F ' ' -c "SELECT count(DISTINCT chunk_id), min(n) >= 3 FROM (SELECT chunk_id, count(*) OVER (PARTITION BY chunk_id) n FROM $toast) x")"
expected=$(sql -c "SELECT count(*), sum(b), min(time), max(time) FROM m")
file=$TEST_DATA/$(sql -c "SELECT pg_relation_filepath('$toast')")
# (block, offset) of the last chunk of the first value and of chunk 1 of the second
loc() {
  sql -F ' ' -c "SELECT (ctid::text::point)[0]::int, (ctid::text::point)[1]::int FROM $toast t
                 WHERE chunk_id = (SELECT $1(chunk_id) FROM $toast)
                   AND chunk_seq = $2 (SELECT max(chunk_seq) FROM $toast WHERE chunk_id = t.chunk_id)"
}
read -r b1 o1 <<<"$(loc min '')"
read -r b2 o2 <<<"$(loc max '1 + 0 *')"
[ -n "$o1" ] && [ -n "$o2" ] || { echo "TOAST chunks not found"; echo FAIL; exit 1; }
cluster_stop "$TEST_DATA"
python3 - "$file" "$b1" "$o1" "$b2" "$o2" <<'PY' || { echo FAIL; exit 1; }
import struct, sys
path, b1, o1, b2, o2 = sys.argv[1], *map(int, sys.argv[2:])
with open(path, "r+b") as f:
    def edit(blk, change):
        f.seek(blk * 8192)
        page = bytearray(f.read(8192))
        change(page)
        f.seek(blk * 8192)
        f.write(page)
    def unused(page):  # the line pointer of (b1, o1) becomes unused: the chunk is gone
        struct.pack_into("<I", page, 24 + 4 * (o1 - 1), 0)
    def renumber(page):  # chunk_seq (after chunk_id) of the tuple at (b2, o2) becomes 7
        lp = struct.unpack_from("<I", page, 24 + 4 * (o2 - 1))[0]
        off = lp & 0x7FFF
        struct.pack_into("<i", page, off + page[off + 22] + 4, 7)
    edit(b1, unused)
    edit(b2, renumber)
PY
cluster_start "$TEST_DATA" "$TEST_PORT" || { echo FAIL; exit 1; }

errors=$(for d in 0 1; do
  { sql -v VERBOSITY=verbose -c "SELECT a FROM m WHERE dev = $d" 2>&1 >/dev/null || true; } | grep ERROR | sed -E 's/TOAST value [0-9]+/TOAST value N/'
done | sort || true)
check "errors of the damaged values" \
  "ERROR:  XX001: missing chunk in TOAST value N of companion table \"_hyper_1_1_cs\"
ERROR:  XX001: unexpected chunk number in TOAST value N of companion table \"_hyper_1_1_cs\"" "$errors"
check "the undamaged columns read" "$expected" "$(sql -c "SELECT count(*), sum(b), min(time), max(time) FROM m")"
check "the server kept running (no backend crashed)" 0 "$(grep -c 'terminated by signal\|was terminated' "$TEST_DATA.log" || true)"
echo PASS
