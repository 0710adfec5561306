// Columnstore settings: ALTER TABLE ht SET (timescaledb.compress, timescaledb.compress_segmentby =
// '...', ...) in every spelling of src/core/columnstore/options (through the bridge), validated
// against the hypertable's columns and stored in _strata_catalog.compression_settings; the
// defaults TimescaleDB picks (docs/COLUMNSTORE.md, "Settings"). C-style glue.
#include "columnstore/alter.hpp"
#include "columnstore/bridge.hpp"
#include "columnstore/columnstore.hpp"
#include "columnstore/storage.hpp"
#include "pg/compat.hpp"

extern "C" {
#include "access/relation.h"
#include "access/table.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_index.h"
#include "commands/defrem.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/typcache.h"
}

namespace strata::columnstore {

namespace {

enum { kOptCompress = 0, kOptSegmentby, kOptOrderby, kOptSparse, kOptChunkInterval, kOptCount };

bool is_our_namespace(const char* ns) {
  return ns != nullptr && (pg_strcasecmp(ns, "timescaledb") == 0 || pg_strcasecmp(ns, "strata") == 0);
}

// The option id of a DefElem of SET (...), -1 when it is not ours (PostgreSQL's to judge).
int option_of(const DefElem* def) {
  if (!is_our_namespace(def->defnamespace)) return -1;
  const char* full = psprintf("%s.%s", def->defnamespace, def->defname);
  int id = bridge::option_id(full);
  if (id < 0)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("unrecognized columnstore option \"%s\"", full),
                    errhint("Valid options are compress, compress_segmentby, compress_orderby, compress_index "
                            "(and their columnstore spellings), prefixed with \"timescaledb.\" or \"strata.\".")));
  return id;
}

bool has_our_options(const AlterTableStmt* stmt) {
  ListCell* lc;
  foreach (lc, stmt->cmds) {
    AlterTableCmd* cmd = lfirst_node(AlterTableCmd, lc);
    if (cmd->subtype != AT_SetRelOptions && cmd->subtype != AT_ResetRelOptions) continue;
    ListCell* dc;
    foreach (dc, (List*)cmd->def)
      if (is_our_namespace(lfirst_node(DefElem, dc)->defnamespace)) return true;
  }
  return false;
}

struct NameList {
  int n;
  char** names;
  bool* desc;
  bool* nulls_first;
};

void list_init(NameList* l, int capacity) {
  l->n = 0;
  l->names = (char**)palloc0(sizeof(char*) * (capacity + 1));
  l->desc = (bool*)palloc0(sizeof(bool) * (capacity + 1));
  l->nulls_first = (bool*)palloc0(sizeof(bool) * (capacity + 1));
}

bool list_has(const NameList* l, const char* name) { return storage_name_index(l->names, l->n, name) >= 0; }

void list_add(NameList* l, const char* name, bool desc = false, bool nulls_first = false) {
  l->names[l->n] = pstrdup(name);
  l->desc[l->n] = desc;
  l->nulls_first[l->n] = nulls_first;
  l->n++;
}

void parse_failure(const bridge::OptionFailure* f, int option) {
  ereport(ERROR, (errcode(f->kind == 1 ? ERRCODE_SYNTAX_ERROR : ERRCODE_INVALID_PARAMETER_VALUE),
                  errmsg("%s", f->message),
                  errhint("See the timescaledb.%s option in the documentation.", bridge::option_label(option))));
}

// Parses one list option into `out` (with room for natts entries).
void parse_list_option(int option, const char* value, int natts, NameList* out, NameList* bloom) {
  const int cap = 2 * natts + 2;
  bridge::ListItem* items = (bridge::ListItem*)palloc0(sizeof(bridge::ListItem) * cap);
  bridge::OptionFailure failure;
  const int kind = option == kOptSegmentby ? 1 : option == kOptOrderby ? 2 : 3;
  int n = bridge::parse_list(kind, value, items, cap, &failure);
  if (n < 0) parse_failure(&failure, option);
  list_init(out, n);
  if (bloom != nullptr) list_init(bloom, n);
  for (int i = 0; i < n; ++i) {
    if (kind == 3 && items[i].bloom)
      list_add(bloom, items[i].column);
    else
      list_add(out, items[i].column, items[i].descending, items[i].nulls_first);
  }
}

// The hypertable's column `name` (not dropped), or an error naming the option.
Form_pg_attribute find_column(TupleDesc desc, const char* name, int option, const char* relname) {
  for (int i = 0; i < desc->natts; ++i) {
    Form_pg_attribute att = TupleDescAttr(desc, i);
    if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0) return att;
  }
  ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
                  errmsg("column \"%s\" named in timescaledb.%s does not exist in hypertable \"%s\"", name,
                         bridge::option_label(option), relname)));
  pg_unreachable();
}

void require_ordering(Form_pg_attribute att, int option) {
  TypeCacheEntry* tc = lookup_type_cache(att->atttypid, TYPECACHE_LT_OPR | TYPECACHE_GT_OPR | TYPECACHE_CMP_PROC);
  if (!OidIsValid(tc->lt_opr) || !OidIsValid(tc->gt_opr) || !OidIsValid(tc->cmp_proc))
    ereport(ERROR, (errcode(ERRCODE_UNDEFINED_FUNCTION),
                    errmsg("column \"%s\" of type %s cannot be used in timescaledb.%s", NameStr(att->attname),
                           format_type_be(att->atttypid), bridge::option_label(option)),
                    errdetail("Type %s has no default btree operator class.", format_type_be(att->atttypid))));
}

void require_hash(Form_pg_attribute att) {
  TypeCacheEntry* tc = lookup_type_cache(att->atttypid, TYPECACHE_HASH_EXTENDED_PROC);
  if (!OidIsValid(tc->hash_extended_proc))
    ereport(ERROR, (errcode(ERRCODE_UNDEFINED_FUNCTION),
                    errmsg("column \"%s\" of type %s cannot have a bloom filter", NameStr(att->attname),
                           format_type_be(att->atttypid)),
                    errdetail("Type %s has no default hash operator class with an extended hash function.",
                              format_type_be(att->atttypid))));
}

// Defaults (as TimescaleDB picks them): segment by the key columns before the time column of a
// unique index that contains it (the primary key first), order by time DESC and then that index's
// columns after the time column.
void default_lists(Relation rel, const Hypertable* ht, NameList* segmentby, NameList* orderby, bool want_segmentby) {
  TupleDesc desc = RelationGetDescr(rel);
  List* indexes = RelationGetIndexList(rel);
  Oid chosen = InvalidOid;
  ListCell* lc;
  for (int pass = 0; pass < 2 && !OidIsValid(chosen); ++pass) {
    foreach (lc, indexes) {
      HeapTuple tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(lfirst_oid(lc)));
      if (!HeapTupleIsValid(tup)) continue;
      Form_pg_index idx = (Form_pg_index)GETSTRUCT(tup);
      bool ok = idx->indisunique && (pass == 1 || idx->indisprimary);
      bool has_time = false;
      for (int k = 0; k < idx->indnkeyatts; ++k) has_time |= idx->indkey.values[k] == ht->time_attno;
      if (ok && has_time && !OidIsValid(chosen)) chosen = idx->indexrelid;
      ReleaseSysCache(tup);
    }
  }
  list_init(segmentby, desc->natts);
  list_init(orderby, desc->natts);
  if (want_segmentby) segmentby->n = 0;
  bool after_time = false;
  NameList rest;
  list_init(&rest, desc->natts);
  if (OidIsValid(chosen)) {
    HeapTuple tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(chosen));
    Form_pg_index idx = (Form_pg_index)GETSTRUCT(tup);
    for (int k = 0; k < idx->indnkeyatts; ++k) {
      AttrNumber a = idx->indkey.values[k];
      if (a == ht->time_attno) {
        after_time = true;
        continue;
      }
      if (a <= 0) continue;
      const char* name = NameStr(TupleDescAttr(desc, a - 1)->attname);
      if (!after_time && want_segmentby)
        list_add(segmentby, name);
      else
        list_add(&rest, name);
    }
    ReleaseSysCache(tup);
  }
  list_add(orderby, NameStr(ht->time_column), true, true);
  for (int i = 0; i < rest.n; ++i)
    if (!list_has(segmentby, rest.names[i])) list_add(orderby, rest.names[i]);
}

// Columns leading a btree index of the hypertable (default minmax metadata).
void index_leading_columns(Relation rel, NameList* out) {
  TupleDesc desc = RelationGetDescr(rel);
  List* indexes = RelationGetIndexList(rel);
  ListCell* lc;
  foreach (lc, indexes) {
    Relation idx = index_open(lfirst_oid(lc), AccessShareLock);
    if (idx->rd_rel->relam == BTREE_AM_OID && idx->rd_index->indnkeyatts > 0) {
      AttrNumber a = idx->rd_index->indkey.values[0];
      if (a > 0) {
        const char* name = NameStr(TupleDescAttr(desc, a - 1)->attname);
        if (!list_has(out, name)) list_add(out, name);
      }
    }
    index_close(idx, AccessShareLock);
  }
}

void apply_settings(const AlterTableStmt* stmt, List* defs) {
  Oid relid = RangeVarGetRelid(stmt->relation, ShareUpdateExclusiveLock, stmt->missing_ok);
  if (!OidIsValid(relid)) return;  // IF EXISTS: PostgreSQL reports the skip
  const char* relname = get_rel_name(relid);
  Hypertable* ht = hypertable_get(relid);
  if (ht == nullptr)
    ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
                    errmsg("columnstore options apply to hypertables only: \"%s\" is not a hypertable", relname),
                    errhint("Create a hypertable with create_hypertable() first.")));
  if (!compat::is_table_owner(relid, GetUserId())) aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, relname);

  const char* value[kOptCount] = {};
  bool given[kOptCount] = {};
  ListCell* lc;
  foreach (lc, defs) {
    DefElem* def = lfirst_node(DefElem, lc);
    int id = option_of(def);
    if (given[id])
      ereport(ERROR, (errcode(ERRCODE_SYNTAX_ERROR),
                      errmsg("columnstore option timescaledb.%s given more than once", bridge::option_label(id))));
    given[id] = true;
    value[id] = def->arg == nullptr ? (id == kOptCompress ? "true" : "") : defGetString(def);
  }
  bool compress = ht->compression_state != 0;
  if (given[kOptCompress]) {
    bridge::OptionFailure failure;
    if (!bridge::parse_bool(value[kOptCompress], &compress, &failure))
      ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                      errmsg("invalid value for timescaledb.compress: \"%s\"", value[kOptCompress]),
                      errhint("Use a boolean: true or false.")));
  }
  if (given[kOptChunkInterval])
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("timescaledb.compress_chunk_time_interval is not supported by strata")));

  if (!compress && !given[kOptCompress])
    ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                    errmsg("columnstore not enabled on hypertable \"%s\"", relname),
                    errhint("Enable it in the same statement with timescaledb.compress (or "
                            "timescaledb.enable_columnstore).")));
  if (!compress) {
    if (given[kOptSegmentby] || given[kOptOrderby] || given[kOptSparse])
      ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                      errmsg("cannot set columnstore settings while disabling the columnstore"),
                      errhint("Leave out timescaledb.compress = false.")));
    if (catalog_hypertable_has_compressed_chunks(ht->id))
      ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                      errmsg("cannot disable the columnstore on hypertable \"%s\": it has compressed chunks", relname),
                      errhint("Decompress them first: SELECT decompress_chunk(c) FROM show_chunks('%s') c;",
                              relname)));
    if (ht->compression_state != 0) {
      catalog_delete_compression_settings(ht->id);
      catalog_set_compression_state(ht->id, 0);
    }
    return;
  }

  Relation rel = table_open(relid, NoLock);
  TupleDesc desc = RelationGetDescr(rel);
  for (int i = 0; i < desc->natts; ++i) {
    Form_pg_attribute att = TupleDescAttr(desc, i);
    if (!att->attisdropped && strncmp(NameStr(att->attname), kReservedPrefix, strlen(kReservedPrefix)) == 0)
      ereport(ERROR, (errcode(ERRCODE_RESERVED_NAME),
                      errmsg("cannot enable the columnstore on hypertable \"%s\": column name \"%s\" is reserved",
                             relname, NameStr(att->attname)),
                      errdetail("Column names beginning with \"%s\" are reserved for columnstore metadata.",
                                kReservedPrefix)));
  }

  CompressionSettings have;
  const bool have_settings = catalog_get_compression_settings(ht->id, &have);
  NameList segmentby, orderby, sparse_minmax, sparse_bloom, def_segmentby, def_orderby;
  default_lists(rel, ht, &def_segmentby, &def_orderby, !given[kOptSegmentby]);
  if (given[kOptSegmentby]) {
    parse_list_option(kOptSegmentby, value[kOptSegmentby], desc->natts, &segmentby, nullptr);
  } else if (have_settings) {
    list_init(&segmentby, have.nsegmentby);
    for (int i = 0; i < have.nsegmentby; ++i) list_add(&segmentby, have.segmentby[i]);
  } else {
    segmentby = def_segmentby;
  }
  if (given[kOptOrderby]) {
    parse_list_option(kOptOrderby, value[kOptOrderby], desc->natts, &orderby, nullptr);
  } else if (have_settings) {
    list_init(&orderby, have.norderby);
    for (int i = 0; i < have.norderby; ++i) list_add(&orderby, have.orderby[i], have.orderby_desc[i], have.orderby_nullsfirst[i]);
  } else {
    list_init(&orderby, def_orderby.n);
    for (int i = 0; i < def_orderby.n; ++i)
      if (!list_has(&segmentby, def_orderby.names[i]))
        list_add(&orderby, def_orderby.names[i], def_orderby.desc[i], def_orderby.nulls_first[i]);
  }
  if (given[kOptSparse]) {
    parse_list_option(kOptSparse, value[kOptSparse], desc->natts, &sparse_minmax, &sparse_bloom);
  } else if (have_settings) {
    // Kept from the current settings, except columns that are segmentby columns now.
    list_init(&sparse_minmax, have.nminmax);
    for (int i = 0; i < have.nminmax; ++i)
      if (storage_name_index(have.orderby, have.norderby, have.minmax[i]) < 0 && !list_has(&segmentby, have.minmax[i]))
        list_add(&sparse_minmax, have.minmax[i]);
    list_init(&sparse_bloom, have.nbloom);
    for (int i = 0; i < have.nbloom; ++i)
      if (!list_has(&segmentby, have.bloom[i])) list_add(&sparse_bloom, have.bloom[i]);
  } else {
    list_init(&sparse_minmax, desc->natts);
    index_leading_columns(rel, &sparse_minmax);
    list_init(&sparse_bloom, 0);
  }

  // Validation.
  for (int i = 0; i < segmentby.n; ++i) {
    Form_pg_attribute att = find_column(desc, segmentby.names[i], kOptSegmentby, relname);
    require_ordering(att, kOptSegmentby);
  }
  for (int i = 0; i < orderby.n; ++i) {
    Form_pg_attribute att = find_column(desc, orderby.names[i], kOptOrderby, relname);
    if (list_has(&segmentby, orderby.names[i]))
      ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                      errmsg("column \"%s\" cannot be both a segmentby and an orderby column", orderby.names[i]),
                      errdetail("Segmentby columns are stored once per batch; orderby columns order the rows "
                                "within a segment."),
                      errhint("Remove it from timescaledb.compress_segmentby or timescaledb.compress_orderby.")));
    require_ordering(att, kOptOrderby);
  }
  NameList minmax, bloom;
  list_init(&minmax, orderby.n + sparse_minmax.n);
  for (int i = 0; i < orderby.n; ++i) list_add(&minmax, orderby.names[i]);
  for (int i = 0; i < sparse_minmax.n; ++i) {
    Form_pg_attribute att = find_column(desc, sparse_minmax.names[i], kOptSparse, relname);
    if (list_has(&segmentby, sparse_minmax.names[i])) {
      if (given[kOptSparse])
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("column \"%s\" is a segmentby column and cannot have a sparse index",
                               sparse_minmax.names[i])));
      continue;  // a default from an index: segment values are exact anyway
    }
    require_ordering(att, kOptSparse);
    if (!list_has(&minmax, sparse_minmax.names[i])) list_add(&minmax, sparse_minmax.names[i]);
  }
  list_init(&bloom, sparse_bloom.n);
  for (int i = 0; i < sparse_bloom.n; ++i) {
    Form_pg_attribute att = find_column(desc, sparse_bloom.names[i], kOptSparse, relname);
    if (list_has(&segmentby, sparse_bloom.names[i]))
      ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                      errmsg("column \"%s\" is a segmentby column and cannot have a sparse index",
                             sparse_bloom.names[i])));
    require_hash(att);
    list_add(&bloom, sparse_bloom.names[i]);
  }
  table_close(rel, NoLock);

  CompressionSettings s;
  s.nsegmentby = segmentby.n;
  s.segmentby = segmentby.names;
  s.norderby = orderby.n;
  s.orderby = orderby.names;
  s.orderby_desc = orderby.desc;
  s.orderby_nullsfirst = orderby.nulls_first;
  s.nminmax = minmax.n;
  s.minmax = minmax.names;
  s.nbloom = bloom.n;
  s.bloom = bloom.names;
  catalog_set_compression_settings(ht->id, &s);
  if (ht->compression_state == 0) catalog_set_compression_state(ht->id, 1);
}

// TRUNCATE of a compressed chunk would empty its row part only (TRUNCATE of the hypertable drops
// its chunks, companions included).
void refuse_truncate(Node* parsetree) {
  if (!IsA(parsetree, TruncateStmt)) return;
  ListCell* lc;
  foreach (lc, ((TruncateStmt*)parsetree)->relations) {
    Oid relid = RangeVarGetRelid(lfirst_node(RangeVar, lc), NoLock, true);
    ChunkInfo chunk;
    if (OidIsValid(relid) && chunk_get_by_relid(relid, &chunk) && (chunk.status & kChunkStatusCompressed))
      ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                      errmsg("cannot truncate compressed chunk \"%s\"", get_rel_name(relid)),
                      errhint("Decompress it first with decompress_chunk(), or drop it with drop_chunks().")));
  }
}

}  // namespace

void wrap_utility(const pg::UtilityCall* call) {
  Node* parsetree = call->pstmt->utilityStmt;
  if (IsBinaryUpgrade ||
      (!IsA(parsetree, AlterTableStmt) && !IsA(parsetree, RenameStmt) && !IsA(parsetree, TruncateStmt) &&
       !IsA(parsetree, IndexStmt)) ||
      !extension_is_active())
    return pg::utility_proceed(call);
  refuse_truncate(parsetree);
  // Schema changes the companions must follow (alter.cpp).
  AlterState* alter = alter_prepare(call);
  if (!IsA(parsetree, AlterTableStmt) || !has_our_options((AlterTableStmt*)parsetree)) {
    pg::utility_proceed(call);
    return alter_finish(alter);
  }
  // The statement without the columnstore options (PostgreSQL would refuse them).
  pg::UtilityCall rest = *call;
  rest.pstmt = (PlannedStmt*)copyObjectImpl(call->pstmt);
  AlterTableStmt* stmt = (AlterTableStmt*)rest.pstmt->utilityStmt;
  List* ours = NIL;
  List* cmds = NIL;
  ListCell* lc;
  foreach (lc, stmt->cmds) {
    AlterTableCmd* cmd = lfirst_node(AlterTableCmd, lc);
    if (cmd->subtype != AT_SetRelOptions && cmd->subtype != AT_ResetRelOptions) {
      cmds = lappend(cmds, cmd);
      continue;
    }
    List* others = NIL;
    ListCell* dc;
    foreach (dc, (List*)cmd->def) {
      DefElem* def = lfirst_node(DefElem, dc);
      if (option_of(def) < 0) {
        others = lappend(others, def);
      } else if (cmd->subtype == AT_ResetRelOptions) {
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                        errmsg("RESET of columnstore option \"%s.%s\" is not supported", def->defnamespace,
                               def->defname),
                        errhint("Set the option to the value you want instead.")));
      } else {
        ours = lappend(ours, def);
      }
    }
    if (others != NIL) {
      cmd->def = (Node*)others;
      cmds = lappend(cmds, cmd);
    }
  }
  if (stmt->objtype != OBJECT_TABLE)
    ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE), errmsg("columnstore options apply to hypertables only")));
  apply_settings(stmt, ours);
  if (cmds == NIL) return alter_finish(alter);  // nothing left for PostgreSQL
  stmt->cmds = cmds;
  pg::utility_proceed(&rest);
  alter_finish(alter);
}

}  // namespace strata::columnstore
