// The newest time of one raw chunk read through a btree index that holds the time column, for a
// refresh with an open end that must find where the raw rows end (refresh.cpp raw_extreme) when
// no writer recorded it (a fresh aggregate over existing rows, newest.cpp). Without it the
// refresh reads every row of the newest chunk once for max(time) and then again to aggregate it.
//
// Two index shapes qualify: the time column first (one descent), or second after one prefix
// column, as in (device, time DESC) or (account, time): a skip scan that takes, for each prefix
// value in turn, the first visible entry past the previous prefix value in the direction in which
// time descends (each is the newest visible row of its prefix value), one descent per distinct
// prefix value. The scan gives up (the caller reads the rows) past a budget of descents
// proportional to the chunk's pages, and an index whose prefix column has more distinct values
// than that budget (its statistics) is not tried. Visibility is the heap's under a fresh snapshot:
// only under READ COMMITTED, where the SQL read's (and the batches' aggregation, later) snapshot is
// as fresh; under REPEATABLE READ or SERIALIZABLE (CREATE ... WITH DATA in a transaction block) the
// transaction's snapshot may not see rows that a fresh one does, and the rows are read as before.
// Only for a whole plain heap chunk (its status re-read once it is locked: no columnstore part), a
// hypertable without row-level security, and plain key columns, in either order.
#include "caggs/internal.hpp"
#include "catalog/chunks.hpp"

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/nbtree.h"
#include "access/relation.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/pg_am.h"
#include "catalog/pg_index.h"
#include "catalog/pg_statistic.h"
#include "commands/defrem.h"
#include "executor/tuptable.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
}

namespace strata {
bool guc_cagg_refresh_newest_by_index = true;
}

namespace strata::caggs {

namespace {

// Distinct values of a chunk's column from its statistics (-1: unknown).
double distinct_values(Relation rel, AttrNumber attno) {
  HeapTuple tup = SearchSysCache3(STATRELATTINH, ObjectIdGetDatum(RelationGetRelid(rel)), Int16GetDatum(attno),
                                  BoolGetDatum(false));
  if (!HeapTupleIsValid(tup)) return -1;
  const float4 d = reinterpret_cast<Form_pg_statistic>(GETSTRUCT(tup))->stadistinct;
  ReleaseSysCache(tup);
  if (d > 0) return d;
  if (d < 0 && rel->rd_rel->reltuples >= 0) return -d * rel->rd_rel->reltuples;  // (-1: never counted)
  return -1;
}

// Whether relation `relid` has row-level security enabled (policies may filter the SQL read).
bool row_security(Oid relid) {
  HeapTuple tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
  if (!HeapTupleIsValid(tup)) return true;
  const bool rls = reinterpret_cast<Form_pg_class>(GETSTRUCT(tup))->relrowsecurity;
  ReleaseSysCache(tup);
  return rls;
}

// Whether key column `col` of index `idx` is plain heap column `attno`.
bool plain_key(Relation idx, int col, AttrNumber attno) { return idx->rd_index->indkey.values[col] == attno; }

bool desc_key(Relation idx, int col) { return (idx->rd_indoption[col] & INDOPTION_DESC) != 0; }

// Whether the time column's key of `idx` (column `col`) orders by the time type's own btree order.
bool time_order(Relation idx, int col, Oid time_type) {
  Oid opclass = GetDefaultOpClass(time_type, BTREE_AM_OID);
  return OidIsValid(opclass) && idx->rd_opfamily[col] == get_opclass_family(opclass) && idx->rd_opcintype[col] == time_type;
}

// An index of `rel` usable for its newest time: *prefix = false when time is its first column.
// Among those with a prefix column, the one whose prefix has the fewest distinct values (known,
// and within `budget`). InvalidOid when none.
Oid pick_index(Relation rel, AttrNumber tattno, Oid time_type, double budget, bool* prefix) {
  Oid best = InvalidOid;
  double best_distinct = 0;
  List* indexes = RelationGetIndexList(rel);
  ListCell* lc;
  foreach (lc, indexes) {
    Relation idx = index_open(lfirst_oid(lc), AccessShareLock);
    const Form_pg_index ix = idx->rd_index;
    // (indcheckxmin: as the planner, not while HOT chains broken by its build may still be seen)
    const bool usable = idx->rd_rel->relam == BTREE_AM_OID && ix->indisvalid && ix->indisready && ix->indislive &&
                        heap_attisnull(idx->rd_indextuple, Anum_pg_index_indpred, nullptr) &&
                        (!ix->indcheckxmin ||
                         TransactionIdPrecedes(HeapTupleHeaderGetXmin(idx->rd_indextuple->t_data), TransactionXmin));
    if (usable && plain_key(idx, 0, tattno) && time_order(idx, 0, time_type)) {
      index_close(idx, NoLock);
      *prefix = false;
      return lfirst_oid(lc);
    }
    if (usable && ix->indnkeyatts >= 2 && ix->indkey.values[0] != 0 && plain_key(idx, 1, tattno) && time_order(idx, 1, time_type)) {
      const double d = distinct_values(rel, ix->indkey.values[0]);
      if (d >= 0 && d <= budget && (!OidIsValid(best) || d < best_distinct)) {
        best = lfirst_oid(lc);
        best_distinct = d;
      }
    }
    index_close(idx, NoLock);
  }
  *prefix = true;
  return best;
}

}  // namespace

bool chunk_newest_by_index(Oid chunk_relid, const Hypertable* ht, bool* found, int64* out) {
  if (!guc_cagg_refresh_newest_by_index || IsolationUsesXactSnapshot() || row_security(ht->relid))
    return false;
  Relation rel = try_relation_open(chunk_relid, AccessShareLock);
  if (rel == nullptr) return false;
  // The status the caller saw was read before the lock: a compression that committed meanwhile
  // has emptied the heap.
  ChunkInfo now;
  if (rel->rd_rel->relkind != RELKIND_RELATION || rel->rd_rel->relam != HEAP_TABLE_AM_OID ||
      !chunk_get_by_relid(chunk_relid, &now) || now.status != kChunkStatusNormal) {
    relation_close(rel, NoLock);
    return false;
  }
  const AttrNumber tattno = get_attnum(chunk_relid, NameStr(ht->time_column));
  // Descents allowed: one per 16 heap pages (a descent and its heap fetch touch a few pages; the
  // rows' read touches every page once).
  const double budget = Max(64.0, static_cast<double>(RelationGetNumberOfBlocks(rel)) / 16);
  bool prefix = false;
  const Oid index_oid = tattno > 0 ? pick_index(rel, tattno, ht->time_type, budget, &prefix) : InvalidOid;
  if (!OidIsValid(index_oid)) {
    relation_close(rel, NoLock);
    return false;
  }
  Relation idx = index_open(index_oid, AccessShareLock);
  Snapshot snap = RegisterSnapshot(GetLatestSnapshot());
  TupleTableSlot* slot = table_slot_create(rel, nullptr);
  const AttrNumber pattno = idx->rd_index->indkey.values[0];
  ScanKeyData key;
  IndexScanDesc scan = index_beginscan(rel, idx, snap, prefix ? 1 : 0, 0);
  bool complete = true;
  bool have = false;
  int64 newest = 0;
  int64 descents = 0;
  // The newest entry of a prefix value comes first backward (time ascending) or forward (time
  // descending). Each descent has one key on the prefix column: first its NULLs, then its other
  // values ("IS NOT NULL"), then the values not reached yet, past the previous one: below it when
  // the scan runs towards smaller values (backward over an ascending prefix, forward over a
  // descending one), above it otherwise.
  const int tcol = prefix ? 1 : 0;
  const ScanDirection dir = desc_key(idx, tcol) ? ForwardScanDirection : BackwardScanDirection;
  const StrategyNumber next = (dir == BackwardScanDirection) != desc_key(idx, 0) ? BTLessStrategyNumber
                                                                                 : BTGreaterStrategyNumber;
  enum { kIsNull, kNotNull, kBelow } bound = kIsNull;
  Datum below = 0;
  const Form_pg_attribute pattr = TupleDescAttr(RelationGetDescr(rel), pattno - 1);
  for (;;) {
    if (prefix && bound != kBelow) {
      ScanKeyEntryInitialize(&key, SK_ISNULL | (bound == kIsNull ? SK_SEARCHNULL : SK_SEARCHNOTNULL), 1,
                             InvalidStrategy, InvalidOid, InvalidOid, InvalidOid, 0);
    } else if (prefix) {
      const Oid opfamily = idx->rd_opfamily[0], type = idx->rd_opcintype[0];
      const Oid op = get_opfamily_member(opfamily, type, type, next);
      if (!OidIsValid(op)) {
        complete = false;
        break;
      }
      ScanKeyInit(&key, 1, next, get_opcode(op), below);
      key.sk_collation = idx->rd_indcollation[0];
    }
    index_rescan(scan, prefix ? &key : nullptr, prefix ? 1 : 0, nullptr, 0);
    if (!index_getnext_slot(scan, dir, slot)) {
      if (prefix && bound == kIsNull) {
        bound = kNotNull;
        continue;
      }
      break;
    }
    bool isnull;
    const Datum t = slot_getattr(slot, tattno, &isnull);
    if (isnull) {  // (the newest of this prefix value may be past its NULLs; a hypertable has none)
      complete = false;
      break;
    }
    const int64 v = time_datum_to_internal(t, ht->time_type);
    if (!have || v > newest) newest = v;
    have = true;
    if (!prefix) break;
    if (++descents > budget) {
      complete = false;
      break;
    }
    const Datum p = slot_getattr(slot, pattno, &isnull);
    if (isnull) {
      bound = kNotNull;
    } else {
      if (bound == kBelow && !pattr->attbyval) pfree(DatumGetPointer(below));
      below = datumCopy(p, pattr->attbyval, pattr->attlen);
      bound = kBelow;
    }
    ExecClearTuple(slot);
  }
  index_endscan(scan);
  ExecDropSingleTupleTableSlot(slot);
  UnregisterSnapshot(snap);
  index_close(idx, NoLock);
  relation_close(rel, NoLock);
  if (!complete) return false;
  *found = have;
  *out = newest;
  return true;
}

}  // namespace strata::caggs
