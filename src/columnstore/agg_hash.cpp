// ColumnstoreAggregate's hash mode (agg_exec.hpp): grouping by decoded data columns. The groups of
// the current segment live in an open-addressing table keyed by words (a NULL mask, the bucket,
// one word per value column: the value itself or, for text and uuid, its number in that column's
// interner); rows are keyed batch by batch, then each aggregate is accumulated into the rows'
// groups. C-style glue.
#include "columnstore/agg_exec.hpp"

#include <limits>
#include <type_traits>

#include "pg/probe_table.hpp"

extern "C" {
#include "common/hashfn.h"
#include "utils/datum.h"
#include "utils/memutils.h"
#include "utils/uuid.h"
}

namespace strata::columnstore::aggexec {

void interner_init(Interner* in) {
  in->n = 0;
  in->last = -1;
  in->cap = 64;
  in->items = (Interned*)palloc(sizeof(Interned) * in->cap);
  in->mask = 127;
  in->table = pg::probe_table_alloc(CurrentMemoryContext, in->mask);
}

int32 interner_lookup(Interner* in, MemoryContext cxt, const uint8* data, uint32 len) {
  const uint64 h = hash_bytes_extended(data, (int)len, 0);
  uint32 idx = (uint32)h & in->mask;
  for (int32 e; (e = in->table[idx]) >= 0; idx = (idx + 1) & in->mask) {
    const Interned* it = &in->items[e];
    if (it->hash == h && it->len == len && memcmp(it->data, data, len) == 0) return e;
  }
  MemoryContext old = MemoryContextSwitchTo(cxt);
  if (in->n == in->cap) {
    in->cap *= 2;
    in->items = (Interned*)repalloc(in->items, sizeof(Interned) * in->cap);
  }
  uint8* copy = (uint8*)palloc(len > 0 ? len : 1);
  memcpy(copy, data, len);
  const int32 id = in->n++;
  in->items[id] = Interned{h, copy, len};
  in->table[idx] = id;
  pg::probe_table_grow_if_half_full(cxt, &in->table, &in->mask, in->n, [in](int32 e) { return in->items[e].hash; });
  MemoryContextSwitchTo(old);
  return id;
}

namespace {

int64 intern(AggScanState* st, Interner* in, const uint8* data, size_t len) {
  if (len > PG_UINT32_MAX)
    ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED), errmsg("grouping value too large")));
  return interner_lookup(in, st->hash_cxt, data, (uint32)len);
}

}  // namespace

void hash_reset(AggScanState* st) {
  MemoryContextReset(st->hash_cxt);
  MemoryContext old = MemoryContextSwitchTo(st->hash_cxt);
  st->interns = (Interner*)palloc(sizeof(Interner) * (st->nvals > 0 ? st->nvals : 1));
  for (int j = 0; j < st->nvals; ++j) interner_init(&st->interns[j]);
  if (st->final_rows) {
    st->seg_interns = (Interner*)palloc(sizeof(Interner) * (st->nsegs > 0 ? st->nsegs : 1));
    for (int k = 0; k < st->nsegs; ++k) interner_init(&st->seg_interns[k]);
  }
  st->emit_next = 0;
  st->ngroups = 0;
  st->cap_groups = 64;
  // Final mode keeps every group of the chunk: sized for the planner's estimate of them (up to
  // kMaxHashGroups) rather than grown from 64 by copies.
  if (st->final_rows)
    while (st->cap_groups < kMaxHashGroups && st->cap_groups < st->css.ss.ps.plan->plan_rows) st->cap_groups *= 2;
  st->gkeys = (uint64*)palloc(sizeof(uint64) * st->nkey * st->cap_groups);
  st->gacc = (Acc*)palloc(sizeof(Acc) * st->nacc * st->cap_groups);
  st->table_mask = 127;
  while (st->table_mask + 1 < (uint32)st->cap_groups * 2) st->table_mask = st->table_mask * 2 + 1;
  st->table = pg::probe_table_alloc(st->hash_cxt, st->table_mask);
  MemoryContextSwitchTo(old);
}

namespace {

uint64 key_hash(const uint64* key, int nkey) {
  uint64 h = 0x9e3779b97f4a7c15ULL;
  for (int w = 0; w < nkey; ++w) h = mix64(h ^ key[w]) + (uint64)w;
  return h;
}

inline bool keys_equal(const uint64* a, const uint64* b, int nkey) {
  for (int w = 0; w < nkey; ++w)
    if (a[w] != b[w]) return false;
  return true;
}

uint32 find_group(AggScanState* st, const uint64* key) {
  const int nkey = st->nkey;
  const uint64 h = key_hash(key, nkey);
  uint32 idx = (uint32)h & st->table_mask;
  for (int32 g; (g = st->table[idx]) >= 0; idx = (idx + 1) & st->table_mask)
    if (keys_equal(st->gkeys + (uint64)g * nkey, key, nkey)) return (uint32)g;
  MemoryContext old = MemoryContextSwitchTo(st->hash_cxt);
  if (st->ngroups == st->cap_groups) {
    st->cap_groups *= 2;
    // (huge: final mode's table is not flushed at kMaxHashGroups)
    st->gkeys = (uint64*)repalloc_huge(st->gkeys, sizeof(uint64) * nkey * st->cap_groups);
    st->gacc = (Acc*)repalloc_huge(st->gacc, sizeof(Acc) * st->nacc * st->cap_groups);
  }
  const int32 g = st->ngroups++;
  memcpy(st->gkeys + (uint64)g * nkey, key, sizeof(uint64) * nkey);
  memset(st->gacc + (uint64)g * st->nacc, 0, sizeof(Acc) * st->nacc);
  st->table[idx] = g;
  pg::probe_table_grow_if_half_full(
      st->hash_cxt, &st->table, &st->table_mask, st->ngroups,
      [st, nkey](int32 e) { return key_hash(st->gkeys + (uint64)e * nkey, nkey); }, MCXT_ALLOC_HUGE);
  MemoryContextSwitchTo(old);
  return (uint32)g;
}

// The datum of value column j from its key word.
Datum value_datum(AggScanState* st, int j, uint64 word) {
  const SpecState* sp = &st->specs[st->val_spec[j]];
  switch (sp->codec) {
    case kFloat4: {
      float4 f;
      const uint32 bits = (uint32)word;
      memcpy(&f, &bits, sizeof f);
      return Float4GetDatum(f);
    }
    case kFloat8: {
      float8 f;
      memcpy(&f, &word, sizeof f);
      return Float8GetDatum(f);
    }
    case kBool:
      return BoolGetDatum(word != 0);
    case kUuid:
    case kVarlen: {
      const Interned* it = &st->interns[j].items[word];
      if (sp->codec == kUuid) {
        uint8* p = (uint8*)palloc(UUID_LEN);
        memcpy(p, it->data, UUID_LEN);
        return PointerGetDatum(p);
      }
      struct varlena* v = (struct varlena*)palloc(it->len + VARHDRSZ);
      SET_VARSIZE(v, it->len + VARHDRSZ);
      memcpy(VARDATA(v), it->data, it->len);
      return PointerGetDatum(v);
    }
    default:
      return datum_of_int((int64)word, sp->typid);
  }
}

// Final mode: the datum of segment column k from its key word (not 0: NULL).
Datum segment_datum(AggScanState* st, int k, uint64 word) {
  const SpecState* sp = &st->specs[st->seg_spec[k]];
  const Interned* it = &st->seg_interns[k].items[word - 1];
  if (sp->typbyval) {
    Datum d;
    memcpy(&d, it->data, sizeof d);
    return d;
  }
  if (sp->typlen > 0) {
    uint8* p = (uint8*)palloc(sp->typlen);
    memcpy(p, it->data, sp->typlen);
    return PointerGetDatum(p);
  }
  struct varlena* v = (struct varlena*)palloc(it->len + VARHDRSZ);
  SET_VARSIZE(v, it->len + VARHDRSZ);
  memcpy(VARDATA(v), it->data, it->len);
  return PointerGetDatum(v);
}

}  // namespace

void group_values(AggScanState* st, int g, Datum* values, bool* nulls) {
  const uint64* key = st->gkeys + (uint64)g * st->nkey;
  int j = 0;
  int k = 0;
  for (int s = 0; s < st->nspecs; ++s) {
    const SpecState* sp = &st->specs[s];
    nulls[s] = false;
    values[s] = (Datum)0;
    if (sp->kind == kSpecAgg) {
      values[s] = partial_state(sp, group_acc(st, g, s), &nulls[s]);
    } else if (sp->kind == kSpecSegment && st->final_rows) {
      const uint64 word = key[2 + st->nvals + k++];
      nulls[s] = word == 0;
      if (!nulls[s]) values[s] = segment_datum(st, k - 1, word);
    } else if (sp->kind == kSpecSegment) {
      values[s] = st->key[s];
      nulls[s] = st->key_null[s];
    } else if (sp->kind == kSpecBucket) {
      nulls[s] = (key[0] & 1) != 0;
      values[s] = nulls[s] ? (Datum)0 : (Datum)key[1];
    } else {
      nulls[s] = ((key[0] >> (j + 1)) & 1) != 0;
      if (!nulls[s]) values[s] = value_datum(st, j, key[2 + j]);
      ++j;
    }
  }
}

// Emits every group of the hash table (the segment values from st->key) and empties it.
void flush_hash(AggScanState* st) {
  TupleTableSlot* slot = st->css.ss.ss_ScanTupleSlot;
  ExprContext* econtext = st->css.ss.ps.ps_ExprContext;
  const int n = st->nspecs > 0 ? st->nspecs : 1;
  for (int g = 0; g < st->ngroups; ++g) {
    MemoryContext old = MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);
    Datum* values = (Datum*)palloc(sizeof(Datum) * n);
    bool* nulls = (bool*)palloc(sizeof(bool) * n);
    group_values(st, g, values, nulls);
    tuplestore_putvalues(st->store, slot->tts_tupleDescriptor, values, nulls);
    MemoryContextSwitchTo(old);
    ResetExprContext(econtext);
    st->groups++;
  }
  MemoryContextReset(st->num_cxt);
  hash_reset(st);
}

// Hash mode: makes the batch's segment values the current ones (flushing the groups of the
// previous segment when they differ).
void enter_segment(AggScanState* st) {
  if (st->final_rows) {
    // Every group stays in the table: the segment values become key words.
    for (int k = 0; k < st->nsegs; ++k) {
      const int s = st->seg_spec[k];
      const SpecState* sp = &st->specs[s];
      if (st->seg_null[s]) {
        st->seg_words[k] = 0;
      } else if (sp->typbyval) {
        const Datum d = st->seg[s];
        st->seg_words[k] = 1 + (uint64)intern(st, &st->seg_interns[k], (const uint8*)&d, sizeof d);
      } else if (sp->typlen > 0) {
        st->seg_words[k] =
            1 + (uint64)intern(st, &st->seg_interns[k], (const uint8*)DatumGetPointer(st->seg[s]), sp->typlen);
      } else {
        struct varlena* v = PG_DETOAST_DATUM_PACKED(st->seg[s]);
        st->seg_words[k] = 1 + (uint64)intern(st, &st->seg_interns[k], (const uint8*)VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v));
        if ((Pointer)v != DatumGetPointer(st->seg[s])) pfree(v);
      }
    }
    st->open = true;
    return;
  }
  if (st->open) {
    bool same = true;
    for (int s = 0; s < st->nspecs && same; ++s) {
      const SpecState* sp = &st->specs[s];
      if (sp->kind != kSpecSegment) continue;
      if (st->key_null[s] != st->seg_null[s])
        same = false;
      else if (!st->key_null[s])
        same = datumIsEqual(st->key[s], st->seg[s], sp->typbyval, sp->typlen);
    }
    if (same) return;
    flush_hash(st);
  }
  MemoryContextReset(st->key_cxt);
  MemoryContext old = MemoryContextSwitchTo(st->key_cxt);
  for (int s = 0; s < st->nspecs; ++s) {
    const SpecState* sp = &st->specs[s];
    if (sp->kind != kSpecSegment) continue;
    st->key_null[s] = st->seg_null[s];
    st->key[s] = st->seg_null[s] ? (Datum)0 : datumCopy(st->seg[s], sp->typbyval, sp->typlen);
  }
  MemoryContextSwitchTo(old);
  st->open = true;
}

namespace {

// A fixed-width value as a key word: equal words for values the type's equality finds equal.
uint64 fixed_word(int codec, const uint8* fixed, uint64 i) {
  switch (codec) {
    case kFloat4: {
      float4 f = ((const float4*)fixed)[i];
      if (std::isnan(f)) f = std::numeric_limits<float4>::quiet_NaN();
      if (f == 0) f = 0;  // -0 = 0
      uint32 bits;
      memcpy(&bits, &f, sizeof bits);
      return bits;
    }
    case kFloat8: {
      float8 f = ((const float8*)fixed)[i];
      if (std::isnan(f)) f = std::numeric_limits<float8>::quiet_NaN();
      if (f == 0) f = 0;
      uint64 bits;
      memcpy(&bits, &f, sizeof bits);
      return bits;
    }
    case kBool:
      return fixed[i] != 0 ? 1 : 0;
    default:
      return (uint64)decoded_int(codec, fixed, i);
  }
}

template <typename T>
void accumulate_hashed_array(AggScanState* st, int s, const T* vals, const uint8* validity, uint64 m) {
  const SpecState* sp = &st->specs[s];
  for (uint64 k = 0; k < m; ++k) {
    const uint32 i = st->sel_rows[k];
    if (!row_valid(validity, i)) continue;
    Acc* a = group_acc(st, st->row_gid[k], s);
    if constexpr (std::is_floating_point_v<T>)
      accumulate_value(a, sp, 0, (double)vals[i]);
    else
      accumulate_value(a, sp, (int64)vals[i], (double)vals[i]);
  }
}

}  // namespace

namespace {

void accumulate_groups(AggScanState* st, const ColumnarBatch* b, uint64 m);

// A per-slot array of at least `need` entries (query lifetime): `arr` when large enough, else a new
// one with every byte set to `fill` (0xff: -1 for int32).
template <typename T>
T* slot_array(AggScanState* st, T* arr, uint64* cap, uint64 need, int fill) {
  if (need <= *cap) return arr;
  MemoryContext old = MemoryContextSwitchTo(GetMemoryChunkContext(st->specs));
  if (arr != nullptr) pfree(arr);
  arr = (T*)palloc(sizeof(T) * need);
  memset(arr, fill, sizeof(T) * need);
  *cap = need;
  MemoryContextSwitchTo(old);
  return arr;
}

// The batch's decoded text column of spec `sp` in dictionary form (validity, a code per row, the
// number of entries); false when it is not text or is materialised in this batch.
bool dictionary_column(AggScanState* st, const ColumnarBatch* b, const SpecState* sp, const uint8** validity,
                       const uint32** codes, uint64* nentries) {
  if (sp->codec != kVarlen) return false;
  const uint8* fixed;
  decoded_column(st, sp, b->rows, validity, &fixed);
  return columnar_batch_codes(st->child, sp->attno, codes, nentries) && *nentries < PG_INT32_MAX;
}

// The group of a dictionary slot (slot nentries: NULL) in the bucket `bv` (NULL: null) of the one
// dictionary-form grouping column: the key the general path builds, so both paths find the same
// groups.
uint32 slot_group(AggScanState* st, const SpecState* sp, uint64 slot, uint64 nentries, Datum bv, bool null) {
  uint64* key = st->slot_key;  // st->nkey words: one value column (and the segment words in final mode)
  for (int k = 0; k < st->nsegs && st->final_rows; ++k) key[3 + k] = st->seg_words[k];
  key[0] = (null ? 1 : 0) | (slot == nentries ? uint64{2} : 0);
  key[1] = null ? 0 : (uint64)bv;
  key[2] = 0;
  if (slot < nentries) {
    const uint8* data;
    size_t len;
    columnar_batch_entry(st->child, sp->attno, (uint32)slot, &data, &len);
    key[2] = (uint64)intern(st, &st->interns[0], data, len);
  }
  return find_group(st, key);
}

// One grouping column in dictionary form (the common `GROUP BY bucket, segment, status`): each
// selected row's group is found through its code, in a code -> group map kept for one run of rows
// of the same bucket, so a key is built and hashed once per (run, code), not once per row. The
// keys are the ones the general path builds, so groups from both paths are the same groups.
// False (nothing done) when the column is not in dictionary form in this batch.
bool dictionary_groups(AggScanState* st, const ColumnarBatch* b, uint64 m) {
  const SpecState* sp = &st->specs[st->val_spec[0]];
  const uint64 n = b->rows;
  const uint8* validity;
  const uint32* codes;
  uint64 nentries;
  if (!dictionary_column(st, b, sp, &validity, &codes, &nentries)) return false;
  // Slot nentries: the NULL value.
  st->code_gid = slot_array(st, st->code_gid, &st->gid_cap, nentries + 1, 0xff);
  BucketColumn c{};
  Datum one_bv = 0;
  const bool one_bucket = st->bucket < 0 || batch_one_bucket(st, b, &one_bv);
  if (!one_bucket) c = bucket_column(st, b);
  uint64 k = 0;
  while (k < m) {
    Datum bv = one_bv;
    bool null = false;
    const uint64 end = one_bucket ? n : bucket_run(st, c, st->sel_rows[k], &bv, &null);
    uint64 ntouched = 0;
    for (; k < m && st->sel_rows[k] < end; ++k) {
      const uint32 i = st->sel_rows[k];
      uint64 slot = nentries;
      if (row_valid(validity, i)) {
        slot = codes[i];
        if (slot >= nentries)
          ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED), errmsg("dictionary code out of range in a compressed batch")));
      }
      int32 g = st->code_gid[slot];
      if (g < 0) {
        g = (int32)slot_group(st, sp, slot, nentries, bv, null);
        st->code_gid[slot] = g;
        st->touched[ntouched++] = (uint32)slot;
      }
      st->row_gid[k] = (uint32)g;
    }
    for (uint64 t = 0; t < ntouched; ++t) st->code_gid[st->touched[t]] = -1;
  }
  return true;
}

// count(*) only (every aggregate of the node a count(*), as in the common rollup `count(*) GROUP BY
// bucket, segment, status`) with one grouping column in dictionary form: each bucket run's
// selected rows are counted per code, then each counted code's group is found once and the counts
// added to it; no per-row list of selected rows or groups. False (nothing done) when this batch
// does not qualify.
constexpr uint64 kScannedSlots = 64;

bool dictionary_counts(AggScanState* st, const ColumnarBatch* b) {
  bool any = false;
  for (int s = 0; s < st->nspecs; ++s) {
    const SpecState* sp = &st->specs[s];
    if (sp->kind != kSpecAgg) continue;
    if (sp->agg != kCountStar) return false;
    any = true;
  }
  if (!any) return false;
  const SpecState* sp = &st->specs[st->val_spec[0]];
  const uint64 n = b->rows;
  const uint8* validity;
  const uint32* codes;
  uint64 nentries;
  if (!dictionary_column(st, b, sp, &validity, &codes, &nentries)) return false;
  // Slot nentries: the NULL value.
  st->code_cnt = slot_array(st, st->code_cnt, &st->cnt_cap, nentries + 1, 0);
  uint32* cnt = st->code_cnt;
  uint32* touched = st->touched;
  const uint64* sel = b->selection;
  // Whether every row is selected (whole words, then the last word's rows).
  bool all = true;
  for (uint64 w = 0; w < n / 64 && all; ++w) all = sel[w] == ~uint64{0};
  if (all && n % 64 != 0) {
    const uint64 tail = (uint64{1} << (n % 64)) - 1;
    all = (sel[n / 64] & tail) == tail;
  }
  BucketColumn c{};
  Datum one_bv = 0;
  const bool one_bucket = st->bucket < 0 || batch_one_bucket(st, b, &one_bv);
  if (!one_bucket) c = bucket_column(st, b);
  uint64 i = 0;
  while (i < n) {
    Datum bv = one_bv;
    bool null = false;
    const uint64 end = one_bucket ? n : bucket_run(st, c, i, &bv, &null);
    uint64 ntouched = 0;
    if (all && validity == nullptr && nentries <= kScannedSlots && end - i >= nentries) {
      // A small dictionary (a status column's few values) and a run at least as long: the run's
      // codes counted without noting which were new, then the counted slots found by a pass over
      // the counts.
      for (; i < end; ++i) {
        const uint32 code = codes[i];
        if (code >= nentries)
          ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED), errmsg("dictionary code out of range in a compressed batch")));
        cnt[code]++;
      }
      for (uint32 slot = 0; slot < nentries; ++slot)
        if (cnt[slot] != 0) touched[ntouched++] = slot;
    } else if (all && validity == nullptr) {
      for (; i < end; ++i) {
        const uint32 code = codes[i];
        if (code >= nentries)
          ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED), errmsg("dictionary code out of range in a compressed batch")));
        if (cnt[code]++ == 0) touched[ntouched++] = code;
      }
    } else {
      for (; i < end; ++i) {
        if (!row_selected(sel, i)) continue;
        uint64 slot = nentries;
        if (row_valid(validity, i)) {
          slot = codes[i];
          if (slot >= nentries)
            ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED), errmsg("dictionary code out of range in a compressed batch")));
        }
        if (cnt[slot]++ == 0) touched[ntouched++] = (uint32)slot;
      }
    }
    for (uint64 t = 0; t < ntouched; ++t) {
      const uint32 slot = touched[t];
      const uint32 g = slot_group(st, sp, slot, nentries, bv, null);
      Acc* a = &st->gacc[(uint64)g * st->nacc];  // (the group's accumulators: every one a count(*))
      for (int x = 0; x < st->nacc; ++x) a[x].n += cnt[slot];
      cnt[slot] = 0;
    }
  }
  st->batches_counted++;
  return true;
}

}  // namespace

// Hash mode: the groups of the batch's selected rows, then the aggregates into them.
void accumulate_hashed(AggScanState* st, const ColumnarBatch* b) {
  const uint64 n = b->rows;
  const int nkey = st->nkey;
  if (n > st->scratch_rows) {
    MemoryContext old = MemoryContextSwitchTo(GetMemoryChunkContext(st->specs));
    if (st->sel_rows != nullptr) {
      pfree(st->sel_rows);
      pfree(st->row_keys);
      pfree(st->row_gid);
      pfree(st->touched);
    }
    st->touched = (uint32*)palloc(sizeof(uint32) * n);
    st->sel_rows = (uint32*)palloc(sizeof(uint32) * n);
    st->row_keys = (uint64*)palloc(sizeof(uint64) * nkey * n);
    st->row_gid = (uint32*)palloc(sizeof(uint32) * n);
    st->scratch_rows = n;
    MemoryContextSwitchTo(old);
  }
  if (st->nvals == 1 && dictionary_counts(st, b)) return;
  uint64 m = 0;
  for (uint64 i = 0; i < n; ++i)
    if (row_selected(b->selection, i)) st->sel_rows[m++] = (uint32)i;
  if (m == 0) return;
  if (st->nvals == 1 && dictionary_groups(st, b, m)) {
    accumulate_groups(st, b, m);
    return;
  }
  uint64* keys = st->row_keys;
  // Word 0: NULL mask; word 1: bucket.
  for (uint64 k = 0; k < m; ++k) {
    keys[k * nkey] = 0;
    keys[k * nkey + 1] = 0;
  }
  if (st->bucket >= 0) {
    const BucketColumn c = bucket_column(st, b);
    uint64 k = 0;
    uint64 i = 0;
    while (k < m) {
      i = st->sel_rows[k];
      Datum bv;
      bool null;
      const uint64 end = bucket_run(st, c, i, &bv, &null);
      for (; k < m && st->sel_rows[k] < end; ++k) {
        keys[k * nkey] = null ? 1 : 0;
        keys[k * nkey + 1] = null ? 0 : (uint64)bv;
      }
    }
  }
  for (int j = 0; j < st->nvals; ++j) {
    const SpecState* sp = &st->specs[st->val_spec[j]];
    const int w = 2 + j;
    const uint64 nullbit = uint64{1} << (j + 1);
    if (sp->codec == kVarlen || sp->codec == kUuid) {
      const uint32* codes;
      uint64 nentries;
      const uint8* validity;
      const uint8* fixed;
      decoded_column(st, sp, n, &validity, &fixed);
      if (sp->codec == kVarlen && columnar_batch_codes(st->child, sp->attno, &codes, &nentries)) {
        // Dictionary form: each code interned once per batch (a shared dictionary may be much
        // larger than a batch: only the codes the batch used are reset after it).
        if (nentries > st->code_cap) {
          MemoryContext old = MemoryContextSwitchTo(GetMemoryChunkContext(st->specs));
          if (st->code_ids != nullptr) pfree(st->code_ids);
          st->code_ids = (int64*)palloc(sizeof(int64) * nentries);
          for (uint64 e = 0; e < nentries; ++e) st->code_ids[e] = -1;
          st->code_cap = nentries;
          MemoryContextSwitchTo(old);
        }
        uint64 ntouched = 0;
        for (uint64 k = 0; k < m; ++k) {
          const uint32 i = st->sel_rows[k];
          if (!row_valid(validity, i)) {
            keys[k * nkey] |= nullbit;
            keys[k * nkey + w] = 0;
            continue;
          }
          const uint32 code = codes[i];
          if (code >= nentries)
            ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED), errmsg("dictionary code out of range in a compressed batch")));
          if (st->code_ids[code] < 0) {
            const uint8* data;
            size_t len;
            columnar_batch_entry(st->child, sp->attno, code, &data, &len);
            st->code_ids[code] = intern(st, &st->interns[j], data, len);
            st->touched[ntouched++] = code;
          }
          keys[k * nkey + w] = (uint64)st->code_ids[code];
        }
        for (uint64 t = 0; t < ntouched; ++t) st->code_ids[st->touched[t]] = -1;
        continue;
      }
      // Materialised values: interned row by row (a row equal to the previous one reuses its number).
      const uint8* prev = nullptr;
      size_t prev_len = 0;
      int64 prev_id = -1;
      for (uint64 k = 0; k < m; ++k) {
        const uint32 i = st->sel_rows[k];
        const uint8* data;
        size_t len;
        if (!columnar_batch_bytes(st->child, sp->attno, i, &data, &len)) {
          keys[k * nkey] |= nullbit;
          keys[k * nkey + w] = 0;
          continue;
        }
        if (prev_id < 0 || len != prev_len || memcmp(data, prev, len) != 0) {
          prev_id = intern(st, &st->interns[j], data, len);
          prev = data;
          prev_len = len;
        }
        keys[k * nkey + w] = (uint64)prev_id;
      }
      continue;
    }
    const uint8* validity;
    const uint8* fixed;
    decoded_column(st, sp, n, &validity, &fixed);
    for (uint64 k = 0; k < m; ++k) {
      const uint32 i = st->sel_rows[k];
      if (!row_valid(validity, i)) {
        keys[k * nkey] |= nullbit;
        keys[k * nkey + w] = 0;
      } else {
        keys[k * nkey + w] = fixed_word(sp->codec, fixed, i);
      }
    }
  }
  if (st->final_rows)
    for (uint64 k = 0; k < m; ++k)
      for (int w = 0; w < st->nsegs; ++w) keys[k * nkey + 2 + st->nvals + w] = st->seg_words[w];
  // Groups (a row with the key of the previous row is in its group).
  for (uint64 k = 0; k < m; ++k) {
    if (k > 0 && keys_equal(keys + k * nkey, keys + (k - 1) * nkey, nkey))
      st->row_gid[k] = st->row_gid[k - 1];
    else
      st->row_gid[k] = find_group(st, keys + k * nkey);
  }
  accumulate_groups(st, b, m);
}

namespace {

// The aggregates of the batch's selected rows (st->sel_rows[0, m)) into their groups (st->row_gid).
void accumulate_groups(AggScanState* st, const ColumnarBatch* b, uint64 m) {
  const uint64 n = b->rows;
  for (int s = 0; s < st->nspecs; ++s) {
    const SpecState* sp = &st->specs[s];
    if (sp->kind != kSpecAgg) continue;
    if (sp->agg == kCountStar) {
      for (uint64 k = 0; k < m; ++k) group_acc(st, st->row_gid[k], s)->n++;
      continue;
    }
    if (sp->comp_attno != 0) {  // a segment column: one value for the batch
      bool isnull;
      Datum v = slot_getattr(b->companion, sp->comp_attno, &isnull);
      if (isnull) continue;
      const int64 iv = sp->is_float ? 0 : int_of_datum(v, sp->typid);
      const double fv = sp->is_float ? float_of_datum(v, sp->typid) : 0;
      for (uint64 k = 0; k < m; ++k) {
        Acc* a = group_acc(st, st->row_gid[k], s);
        if (sp->agg == kCount)
          a->n++;
        else
          update_min_max(a, sp, iv, fv);
      }
      continue;
    }
    if (sp->agg == kSumNumeric || sp->agg == kAvgNumeric || sp->is_numeric) {
      for (uint64 k = 0; k < m; ++k) {
        const uint8* data;
        size_t len;
        if (!columnar_batch_bytes(st->child, sp->attno, st->sel_rows[k], &data, &len)) continue;
        accumulate_numeric_spec(st, group_acc(st, st->row_gid[k], s), sp, data, len);
      }
      continue;
    }
    const uint8* validity;
    const uint8* fixed;
    decoded_column(st, sp, n, &validity, &fixed);
    if (sp->agg == kCount) {
      for (uint64 k = 0; k < m; ++k)
        if (row_valid(validity, st->sel_rows[k])) group_acc(st, st->row_gid[k], s)->n++;
      continue;
    }
    switch (sp->codec) {
      case kInt16:
        accumulate_hashed_array(st, s, (const int16*)fixed, validity, m);
        break;
      case kInt32:
      case kDate:
        accumulate_hashed_array(st, s, (const int32*)fixed, validity, m);
        break;
      case kInt64:
      case kTimestamp:
        accumulate_hashed_array(st, s, (const int64*)fixed, validity, m);
        break;
      case kFloat4:
        accumulate_hashed_array(st, s, (const float4*)fixed, validity, m);
        break;
      case kFloat8:
        accumulate_hashed_array(st, s, (const float8*)fixed, validity, m);
        break;
      default:
        ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("unexpected column type in columnstore aggregation")));
    }
  }
}

}  // namespace

}  // namespace strata::columnstore::aggexec
