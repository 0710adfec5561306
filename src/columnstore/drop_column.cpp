// DROP COLUMN on a hypertable with the columnstore enabled. The companion tables find their data
// columns and the chunk's min/max and bloom metadata by the column's name, so a column dropped
// and later added again under the same name would read the old column's batches and metadata.
// Before the drop: a segmentby or orderby column (of the hypertable's settings or of any
// compressed chunk's) cannot be dropped (0A000, as TimescaleDB refuses it): the batches are
// grouped and ordered by it. After the drop: the name leaves the hypertable's sparse index
// settings, each compressed chunk's settings get a reserved name in its place (the metadata
// columns keep their positions, and nothing matches the name), and the companion's data column
// is dropped (catalog only; its bytes go at the next recompression). C-style glue.
#include "catalog/chunks.hpp"
#include "catalog/compression.hpp"
#include "catalog/hypertables.hpp"
#include "columnstore/columnstore.hpp"
#include "columnstore/storage.hpp"

extern "C" {
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_class.h"
#include "nodes/parsenodes.h"
#include "storage/lmgr.h"
#include "utils/lsyscache.h"
}

namespace strata::columnstore {

namespace {

// Never a column's name: names beginning with _strata_ are reserved (42939).
constexpr const char* kDroppedName = "_strata_dropped";

bool named(char* const* names, int n, const char* name) { return storage_name_index(names, n, name) >= 0; }

void refuse_if_grouping(const CompressionSettings* s, const char* column, const char* ht_name, const char* where) {
  const bool segment = named(s->segmentby, s->nsegmentby, column);
  if (!segment && !named(s->orderby, s->norderby, column)) return;
  ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                  errmsg("cannot drop column \"%s\" of hypertable \"%s\": it is %s column of %s", column, ht_name,
                         segment ? "a segmentby" : "an orderby", where),
                  errhint("Change the columnstore settings with ALTER TABLE ... SET (timescaledb.compress_%s = "
                          "...) and recompress or decompress the compressed chunks first.",
                          segment ? "segmentby" : "orderby")));
}

// Removes `name` from a list of names; true when it was there.
bool remove_name(char** names, int* n, const char* name) {
  int k = storage_name_index(names, *n, name);
  if (k < 0) return false;
  for (int i = k + 1; i < *n; ++i) names[i - 1] = names[i];
  (*n)--;
  return true;
}

bool replace_name(char** names, int n, const char* name) {
  int k = storage_name_index(names, n, name);
  if (k < 0) return false;
  names[k] = pstrdup(kDroppedName);
  return true;
}

void forget_column(const Hypertable* ht, const char* column) {
  CompressionSettings s;
  if (catalog_get_compression_settings(ht->id, &s)) {
    const bool a = remove_name(s.minmax, &s.nminmax, column);
    const bool b = remove_name(s.bloom, &s.nbloom, column);
    if (a || b) catalog_set_compression_settings(ht->id, &s);
  }
  ListCell* lc;
  foreach (lc, chunk_list_all(ht)) {
    const ChunkInfo* c = static_cast<ChunkInfo*>(lfirst(lc));
    CompressedChunk cc;
    if (!(c->status & kChunkStatusCompressed) || !catalog_get_compressed_chunk(c->id, &cc)) continue;
    const bool a = replace_name(cc.settings.minmax, cc.settings.nminmax, column);
    const bool b = replace_name(cc.settings.bloom, cc.settings.nbloom, column);
    if (a || b) {
      catalog_delete_compressed_chunk(c->id);
      catalog_insert_compressed_chunk(&cc);
    }
    Oid companion = storage_companion_relid(&cc);
    if (!OidIsValid(companion)) continue;
    LockRelationOid(companion, AccessExclusiveLock);
    AttrNumber att = get_attnum(companion, column);
    if (att == InvalidAttrNumber) continue;
    ObjectAddress addr;
    ObjectAddressSubSet(addr, RelationRelationId, companion, att);
    performDeletion(&addr, DROP_RESTRICT, PERFORM_DELETION_INTERNAL);
  }
  CommandCounterIncrement();
}

}  // namespace

List* columns_dropping(Node* parsetree) {
  if (!IsA(parsetree, AlterTableStmt)) return NIL;
  AlterTableStmt* stmt = (AlterTableStmt*)parsetree;
  Oid relid = InvalidOid;
  Hypertable* ht = nullptr;
  List* out = NIL;
  ListCell* lc;
  foreach (lc, stmt->cmds) {
    AlterTableCmd* cmd = lfirst_node(AlterTableCmd, lc);
    if (cmd->subtype != AT_DropColumn || cmd->name == nullptr) continue;
    if (!OidIsValid(relid)) {
      relid = RangeVarGetRelid(stmt->relation, NoLock, true);
      if (!OidIsValid(relid)) return NIL;
      ht = hypertable_get(relid);
      if (ht == nullptr) return NIL;
    }
    const char* ht_name = NameStr(ht->table_name);
    CompressionSettings s;
    if (ht->compression_state != 0 && catalog_get_compression_settings(ht->id, &s))
      refuse_if_grouping(&s, cmd->name, ht_name, "the columnstore settings");
    ListCell* cc_lc;
    foreach (cc_lc, chunk_list_all(ht)) {
      const ChunkInfo* c = static_cast<ChunkInfo*>(lfirst(cc_lc));
      CompressedChunk cc;
      if ((c->status & kChunkStatusCompressed) && catalog_get_compressed_chunk(c->id, &cc))
        refuse_if_grouping(&cc.settings, cmd->name, ht_name, psprintf("compressed chunk \"%s\"", NameStr(c->table_name)));
    }
    out = lappend(out, pstrdup(cmd->name));
  }
  if (out == NIL) return NIL;
  return lcons(makeInteger((int)relid), out);  // (the hypertable, then the names)
}

void columns_dropped(List* dropping) {
  if (dropping == NIL) return;
  const Oid relid = (Oid)intVal(linitial(dropping));
  Hypertable* ht = hypertable_get(relid);
  if (ht == nullptr) return;
  ListCell* lc;
  for_each_from(lc, dropping, 1) forget_column(ht, static_cast<const char*>(lfirst(lc)));
}

}  // namespace strata::columnstore
