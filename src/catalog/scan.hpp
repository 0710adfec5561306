// The one way strata reads (and updates or deletes rows of) its catalog tables: an index scan
// iterator with scan keys over a registered catalog table (registry.hpp), plus tuple accessors
// and row insertion. C-style: the iterator is a plain struct on the caller's stack, nothing has a
// destructor; an error in between releases the scan with the (sub)transaction's resources.
//
//   CatalogScan scan;
//   catalog_scan_init(&scan, CatalogIndex::chunk_pkey, AccessShareLock);
//   catalog_scan_key_int4(&scan, col::chunk::id, chunk_id);
//   catalog_scan_begin(&scan);
//   while (catalog_scan_next(&scan)) { ... catalog_scan_int4(&scan, col::chunk::hypertable_id) ... }
//   catalog_scan_end(&scan);
#pragma once

#include "catalog/registry.hpp"

extern "C" {
#include "access/skey.h"
#include "access/stratnum.h"
}

namespace strata {

inline constexpr int kCatalogScanMaxKeys = 4;

struct CatalogScan {
  CatalogTable table;
  CatalogIndex index;
  LOCKMODE lockmode;
  Relation rel;
  Relation index_rel;  // ordered scans only
  SysScanDesc desc;
  ScanDirection direction;
  bool ordered;
  bool heap_when_small;  // catalog_scan_heap_when_small
  int nkeys;
  ScanKeyData keys[kCatalogScanMaxKeys];
  NameData names[kCatalogScanMaxKeys];  // storage for name keys
  HeapTuple tuple;                      // the current tuple, valid until the next call
};

// Prepares a scan of the table of `index` through that index; `lockmode` is taken on the table
// (AccessShareLock to read, RowExclusiveLock to update or delete).
void catalog_scan_init(CatalogScan* scan, CatalogIndex index, LOCKMODE lockmode);
// An unordered scan whose rows' order does not matter may read a table of one page without its
// index: in a fresh session, opening a catalog index (its relcache entry, operator classes) costs
// about 100,000 instructions, many times reading the page (the hypertable cache's loads).
void catalog_scan_heap_when_small(CatalogScan* scan);
// Scan keys name table columns (col::...), which must be a prefix of the index's columns in
// order for the index to use them all.
void catalog_scan_key(CatalogScan* scan, AttrNumber attno, StrategyNumber strategy, RegProcedure proc,
                      Datum arg);
void catalog_scan_key_int4(CatalogScan* scan, AttrNumber attno, int32 value);
void catalog_scan_key_name(CatalogScan* scan, AttrNumber attno, const char* value);
// Opens the table (and checks its columns against the registry) and starts the scan. An ordered
// scan returns tuples in index order in `direction`; an unordered one may not (it still uses the
// index unless system indexes are ignored).
void catalog_scan_begin(CatalogScan* scan, bool ordered = false,
                        ScanDirection direction = ForwardScanDirection);
// The next matching tuple (also in scan->tuple), or false at the end.
bool catalog_scan_next(CatalogScan* scan);
void catalog_scan_end(CatalogScan* scan);

// Columns of the current tuple.
TupleDesc catalog_scan_tupdesc(const CatalogScan* scan);
Datum catalog_scan_datum(const CatalogScan* scan, AttrNumber attno, bool* isnull);
bool catalog_scan_isnull(const CatalogScan* scan, AttrNumber attno);
int16 catalog_scan_int2(const CatalogScan* scan, AttrNumber attno);  // 0 when NULL
int32 catalog_scan_int4(const CatalogScan* scan, AttrNumber attno);  // 0 when NULL
int64 catalog_scan_int8(const CatalogScan* scan, AttrNumber attno);  // 0 when NULL
Oid catalog_scan_oid(const CatalogScan* scan, AttrNumber attno);     // InvalidOid when NULL
// A name column: a pointer into the tuple (copy it before the next call), or nullptr when NULL.
const char* catalog_scan_name(const CatalogScan* scan, AttrNumber attno);

// Changes of the current tuple (the scan must hold RowExclusiveLock). update_columns replaces the
// columns whose `replace` flag is set. Neither sends the catalog invalidation: writers call
// catalog_invalidate once they are done.
void catalog_scan_delete(CatalogScan* scan);
void catalog_scan_update(CatalogScan* scan, const Datum* values, const bool* nulls, const bool* replace);

// Every row of `index` whose int4 column `attno` equals `value`: updated (the columns whose
// `replace` flag is set) or deleted. Both return how many rows they changed and, like the scan
// functions, do not send the catalog invalidation.
int catalog_update_where_int4(CatalogIndex index, AttrNumber attno, int32 value, const Datum* values,
                              const bool* nulls, const bool* replace);
int catalog_delete_where_int4(CatalogIndex index, AttrNumber attno, int32 value);

// Inserts a row (values and nulls have the table's natts entries).
void catalog_insert_row(CatalogTable table, const Datum* values, const bool* nulls);

}  // namespace strata
