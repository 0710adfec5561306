// The catalog scan iterator and row writes (see scan.hpp).
#include "catalog/scan.hpp"

extern "C" {
#include "catalog/indexing.h"
#include "storage/bufmgr.h"
#include "utils/fmgroids.h"
}

namespace strata {

void catalog_scan_init(CatalogScan* scan, CatalogIndex index, LOCKMODE lockmode) {
  memset(scan, 0, sizeof *scan);
  scan->index = index;
  scan->table = catalog_index_table(index);
  scan->lockmode = lockmode;
}

void catalog_scan_heap_when_small(CatalogScan* scan) { scan->heap_when_small = true; }

void catalog_scan_key(CatalogScan* scan, AttrNumber attno, StrategyNumber strategy, RegProcedure proc,
                      Datum arg) {
  if (scan->nkeys >= kCatalogScanMaxKeys) elog(ERROR, "too many catalog scan keys");
  ScanKeyInit(&scan->keys[scan->nkeys++], attno, strategy, proc, arg);
}

void catalog_scan_key_int4(CatalogScan* scan, AttrNumber attno, int32 value) {
  catalog_scan_key(scan, attno, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(value));
}

void catalog_scan_key_name(CatalogScan* scan, AttrNumber attno, const char* value) {
  NameData* name = &scan->names[scan->nkeys];
  namestrcpy(name, value);
  catalog_scan_key(scan, attno, BTEqualStrategyNumber, F_NAMEEQ, NameGetDatum(name));
}

void catalog_scan_begin(CatalogScan* scan, bool ordered, ScanDirection direction) {
  const Oid table = catalog_table_oid(scan->table);
  scan->rel = table_open(table, scan->lockmode);
  catalog_check_columns(scan->table, scan->rel);
  scan->ordered = ordered;
  scan->direction = direction;
  // The key array is copied into the scan descriptor, whose attribute numbers are then the index's.
  if (ordered) {
    scan->index_rel = index_open(catalog_index_oid(scan->index), AccessShareLock);
    scan->desc = systable_beginscan_ordered(scan->rel, scan->index_rel, nullptr, scan->nkeys, scan->keys);
  } else if (scan->heap_when_small && RelationGetNumberOfBlocks(scan->rel) <= 1) {
    // (the keys are tested on the table's rows, by the same equality functions)
    scan->desc = systable_beginscan(scan->rel, InvalidOid, false, nullptr, scan->nkeys, scan->keys);
  } else {
    scan->desc = systable_beginscan(scan->rel, catalog_index_oid(scan->index), true, nullptr, scan->nkeys, scan->keys);
  }
}

bool catalog_scan_next(CatalogScan* scan) {
  scan->tuple = scan->ordered ? systable_getnext_ordered(scan->desc, scan->direction)
                              : systable_getnext(scan->desc);
  return HeapTupleIsValid(scan->tuple);
}

void catalog_scan_end(CatalogScan* scan) {
  if (scan->ordered) {
    systable_endscan_ordered(scan->desc);
    index_close(scan->index_rel, AccessShareLock);
  } else {
    systable_endscan(scan->desc);
  }
  table_close(scan->rel, scan->lockmode);
  scan->desc = nullptr;
  scan->rel = nullptr;
  scan->index_rel = nullptr;
  scan->tuple = nullptr;
}

TupleDesc catalog_scan_tupdesc(const CatalogScan* scan) { return RelationGetDescr(scan->rel); }

Datum catalog_scan_datum(const CatalogScan* scan, AttrNumber attno, bool* isnull) {
  // A column that a later version's update script adds reads as NULL (its default's stand-in)
  // while the extension's catalog is still the older version's (before ALTER EXTENSION UPDATE).
  if (attno > RelationGetDescr(scan->rel)->natts) {
    *isnull = true;
    return (Datum)0;
  }
  return heap_getattr(scan->tuple, attno, RelationGetDescr(scan->rel), isnull);
}

bool catalog_scan_isnull(const CatalogScan* scan, AttrNumber attno) {
  return heap_attisnull(scan->tuple, attno, RelationGetDescr(scan->rel));
}

int16 catalog_scan_int2(const CatalogScan* scan, AttrNumber attno) {
  bool isnull;
  Datum d = catalog_scan_datum(scan, attno, &isnull);
  return isnull ? 0 : DatumGetInt16(d);
}

int32 catalog_scan_int4(const CatalogScan* scan, AttrNumber attno) {
  bool isnull;
  Datum d = catalog_scan_datum(scan, attno, &isnull);
  return isnull ? 0 : DatumGetInt32(d);
}

int64 catalog_scan_int8(const CatalogScan* scan, AttrNumber attno) {
  bool isnull;
  Datum d = catalog_scan_datum(scan, attno, &isnull);
  return isnull ? 0 : DatumGetInt64(d);
}

Oid catalog_scan_oid(const CatalogScan* scan, AttrNumber attno) {
  bool isnull;
  Datum d = catalog_scan_datum(scan, attno, &isnull);
  return isnull ? InvalidOid : DatumGetObjectId(d);
}

const char* catalog_scan_name(const CatalogScan* scan, AttrNumber attno) {
  bool isnull;
  Datum d = catalog_scan_datum(scan, attno, &isnull);
  return isnull ? nullptr : NameStr(*DatumGetName(d));
}

void catalog_scan_delete(CatalogScan* scan) { CatalogTupleDelete(scan->rel, &scan->tuple->t_self); }

void catalog_scan_update(CatalogScan* scan, const Datum* values, const bool* nulls, const bool* replace) {
  HeapTuple newtup = heap_modify_tuple(scan->tuple, RelationGetDescr(scan->rel), const_cast<Datum*>(values),
                                       const_cast<bool*>(nulls), const_cast<bool*>(replace));
  CatalogTupleUpdate(scan->rel, &scan->tuple->t_self, newtup);
  heap_freetuple(newtup);
}

namespace {

template <typename Change>
int change_where_int4(CatalogIndex index, AttrNumber attno, int32 value, Change change) {
  CatalogScan scan;
  catalog_scan_init(&scan, index, RowExclusiveLock);
  catalog_scan_key_int4(&scan, attno, value);
  catalog_scan_begin(&scan);
  int n = 0;
  for (; catalog_scan_next(&scan); ++n) change(&scan);
  catalog_scan_end(&scan);
  return n;
}

}  // namespace

int catalog_update_where_int4(CatalogIndex index, AttrNumber attno, int32 value, const Datum* values,
                              const bool* nulls, const bool* replace) {
  return change_where_int4(index, attno, value,
                           [&](CatalogScan* scan) { catalog_scan_update(scan, values, nulls, replace); });
}

int catalog_delete_where_int4(CatalogIndex index, AttrNumber attno, int32 value) {
  return change_where_int4(index, attno, value, [](CatalogScan* scan) { catalog_scan_delete(scan); });
}

void catalog_insert_row(CatalogTable table, const Datum* values, const bool* nulls) {
  Relation rel = table_open(catalog_table_oid(table), RowExclusiveLock);
  catalog_check_columns(table, rel);
  HeapTuple tup = heap_form_tuple(RelationGetDescr(rel), const_cast<Datum*>(values), const_cast<bool*>(nulls));
  CatalogTupleInsert(rel, tup);
  heap_freetuple(tup);
  table_close(rel, RowExclusiveLock);
}

}  // namespace strata
