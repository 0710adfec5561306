// UPDATE and MERGE that move a row's time into another chunk's range.
//
// The plan `ModifyTable(UPDATE hypertable) <- subplan`, when the UPDATE sets the time column,
// becomes
//   StrataUpdate (CustomScan) <- ModifyTable <- ChunkRowMove (CustomScan) <- subplan
// ChunkRowMove passes every row whose new time stays in its chunk to ModifyTable (PostgreSQL's own
// UPDATE). A row whose new time leaves its chunk it moves itself, with PostgreSQL's semantics for
// a row moving between partitions: it locks the row (a concurrent update of it is a serialization
// failure, 40001), fires the source chunk's BEFORE UPDATE row triggers, then its BEFORE DELETE row
// triggers, deletes the row (marked as moved, so concurrent updaters fail as for partitions),
// queues its AFTER DELETE row triggers, routes the new row (creating its chunk if needed), fires
// the destination's BEFORE INSERT row triggers, checks row-level security (the UPDATE policies),
// constraints, inserts it with its index entries and queues the AFTER INSERT row triggers. The
// RETURNING list is computed for the new row and handed to StrataUpdate, which emits it after
// ModifyTable's own rows; the row counts once in the command tag. StrataUpdate exists to hand
// ChunkRowMove the ModifyTableState (its result relations, EvalPlanQual state, RETURNING).
//
// MERGE (a WHEN MATCHED UPDATE action sets the time column) gets the same nodes: ChunkRowMove
// picks the action PostgreSQL's ExecMergeMatched will pick for each matched row and moves the row
// itself when that action's new time leaves the chunk (merge_move_exec). INSERT ... ON CONFLICT DO
// UPDATE that would move a row fails as for partitions (guard_on_conflict_range).
#include "ingest/row_move.hpp"

#include "caggs/caggs.hpp"
#include "catalog/catalog.hpp"
#include "columnstore/dml.hpp"
#include "hypertable/chunk.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "access/attmap.h"
#include "access/tableam.h"
#include "commands/explain.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/nodeModifyTable.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "nodes/extensible.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "parser/parsetree.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/tuplestore.h"
}

namespace strata {

namespace {

CustomScanMethods move_plan_methods;
CustomScanMethods update_plan_methods;
CustomExecMethods move_exec_methods;
CustomExecMethods update_exec_methods;

// custom_private of ChunkRowMove: hypertable relid, per result relation the resno of the time
// column's new value in the subplan's output (0: not set by this relation's UPDATE; for MERGE, 1
// when one of its WHEN MATCHED UPDATE actions sets the time column), per result relation its
// relid, resno of the junk ctid, resno of the junk tableoid (0 if none), 1 for MERGE (else 0).
enum { kPrivHypertable = 0, kPrivPositions, kPrivRelids, kPrivCtid, kPrivTableoid, kPrivMerge };

// A chunk rows are moved into.
struct DestRel {
  Oid relid;
  int64 range_start;
  int64 range_end;
  ResultRelInfo* rri;
  TupleTableSlot* slot;
  TupleTableSlot* map_slot;  // virtual, for converting between layouts
  int map_source;  // result relation index `map` converts from (-1: none yet)
  AttrMap* map;    // source layout -> this chunk's layout, nullptr when identical
  columnstore::DmlChunk* dml;  // unique checks across a compressed chunk's batches, or nullptr
};

struct MoveState {
  CustomScanState css;
  ModifyTableState* mt;  // set by StrataUpdate (not under EvalPlanQual)
  Hypertable* ht;
  int nrels;
  int* positions;
  Oid* relids;
  AttrNumber ctid_resno;
  AttrNumber tableoid_resno;
  bool merge;  // under a MERGE (moves rows of its WHEN MATCHED UPDATE actions)
  // Per result relation, filled on first use.
  bool* known;
  bool* is_chunk;
  int64* range_start;
  int64* range_end;
  int32* status;
  TupleTableSlot** old_slots;
  TupleTableSlot** new_slots;
  List** merge_time_exprs;     // MERGE: per result relation, per WHEN MATCHED action the state of
                               // the time column's new value (nullptr: the action does not set it)
  List* dests;                 // DestRel*
  Tuplestorestate* returning;  // RETURNING rows of moved rows, or nullptr
  CaggTracker* cagg;
  int64 moved;
};

struct UpdateState {
  CustomScanState css;
  MoveState* move;
  TupleTableSlot* returning_slot;
  bool modify_done;
};

[[noreturn]] void concurrent_update(const MoveState* ms) {
  ereport(ERROR, (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
                  errmsg("could not move a row to another chunk of hypertable \"%s\" because it was updated concurrently",
                         NameStr(ms->ht->table_name)),
                  errhint("Retry the statement.")));
}

int result_rel_index(MoveState* ms, TupleTableSlot* plan_slot) {
  if (ms->tableoid_resno == 0) return 0;
  bool isnull;
  Oid relid = DatumGetObjectId(slot_getattr(plan_slot, ms->tableoid_resno, &isnull));
  if (isnull) return -1;
  if (ms->mt != nullptr) {
    // Without touching ModifyTable's cache of the last result relation, which it relies on.
    ResultRelInfo* rri = ExecLookupResultRelByOid(ms->mt, relid, true, false);
    return rri == nullptr ? -1 : (int)(rri - ms->mt->resultRelInfo);
  }
  for (int i = 0; i < ms->nrels; ++i)
    if (ms->relids[i] == relid) return i;
  return -1;
}

void load_rel(MoveState* ms, int r) {
  ChunkInfo chunk;
  ms->is_chunk[r] = chunk_get_by_relid(ms->relids[r], &chunk) && chunk.hypertable_id == ms->ht->id;
  if (ms->is_chunk[r]) {
    ms->range_start[r] = chunk.range_start;
    ms->range_end[r] = chunk.range_end;
    ms->status[r] = chunk.status;
  }
  ms->known[r] = true;
}

DestRel* dest_for(MoveState* ms, int64 value) {
  ListCell* lc;
  foreach (lc, ms->dests) {
    DestRel* d = (DestRel*)lfirst(lc);
    if (value >= d->range_start && value < d->range_end) return d;
  }
  EState* estate = ms->css.ss.ps.state;
  MemoryContext old = MemoryContextSwitchTo(estate->es_query_cxt);
  ChunkInfo* chunk = chunk_get_or_create(ms->ht, value);
  DestRel* d = (DestRel*)palloc0(sizeof(DestRel));
  d->relid = chunk->relid;
  d->range_start = chunk->range_start;
  d->range_end = chunk->range_end;
  Relation rel = table_open(chunk->relid, RowExclusiveLock);
  d->rri = makeNode(ResultRelInfo);
  InitResultRelInfo(d->rri, rel, 0, nullptr, estate->es_instrument);
  ExecOpenIndices(d->rri, false);
  // Its indexes are closed with the statement's result relations, and AFTER triggers find it.
  estate->es_opened_result_relations = lappend(estate->es_opened_result_relations, d->rri);
  d->slot = table_slot_create(rel, &estate->es_tupleTable);
  d->map_slot = ExecInitExtraTupleSlot(estate, RelationGetDescr(rel), &TTSOpsVirtual);
  d->map_source = -1;
  // Into a compressed chunk: its row part, which makes it partial; unique keys are checked
  // across its batches (batches holding the key move into the row part with the statement's
  // output command id: its scans do not see them).
  if ((chunk->status & kChunkStatusCompressed) != 0) {
    if ((chunk->status & kChunkStatusPartial) == 0) chunk_note_rows_in_row_part(chunk);
    d->dml = columnstore::dml_open_for_insert(rel, chunk, RelationGetDescr(rel), estate->es_output_cid);
  }
  ms->dests = lappend(ms->dests, d);
  MemoryContextSwitchTo(old);
  return d;
}

[[noreturn]] void merge_twice() {
  ereport(ERROR, (errcode(ERRCODE_CARDINALITY_VIOLATION), errmsg("MERGE command cannot affect row a second time"),
                  errhint("Ensure that not more than one source row matches any one target row.")));
}

// Moves the row `plan_slot` names from result relation r into the chunk of its new time. The new
// row is the old one with the UPDATE's set columns, or `merge_new` (a MERGE action's projection).
void move_row(MoveState* ms, int r, TupleTableSlot* plan_slot, TupleTableSlot* merge_new) {
  EState* estate = ms->css.ss.ps.state;
  ModifyTableState* mt = ms->mt;
  if (mt == nullptr) elog(ERROR, "chunk row move is not under a strata ModifyTable");
  // Out of a compressed chunk: its CompressedDml scan moved the batches the UPDATE can match into
  // its row part at executor start, so the row is a heap row there like any other.
  ResultRelInfo* src = &mt->resultRelInfo[r];
  Relation rel = src->ri_RelationDesc;
  bool isnull;
  Datum ctid = slot_getattr(plan_slot, ms->ctid_resno, &isnull);
  if (isnull) elog(ERROR, "ctid is NULL");
  ItemPointerData tid = *(ItemPointer)DatumGetPointer(ctid);

  MemoryContext old = MemoryContextSwitchTo(estate->es_query_cxt);
  if (ms->old_slots[r] == nullptr) {
    ms->old_slots[r] = table_slot_create(rel, &estate->es_tupleTable);
    ms->new_slots[r] = table_slot_create(rel, &estate->es_tupleTable);
  }
  MemoryContextSwitchTo(old);
  TupleTableSlot* oldslot = ms->old_slots[r];
  TupleTableSlot* newslot = ms->new_slots[r];

  // Lock the row version the scan saw. PostgreSQL would follow a concurrent update with
  // EvalPlanQual; a move is refused instead (40001), as for a row moved concurrently.
  TM_FailureData tmfd;
  TM_Result res = table_tuple_lock(rel, &tid, estate->es_snapshot, oldslot, estate->es_output_cid,
                                   LockTupleExclusive, LockWaitBlock, 0, &tmfd);
  switch (res) {
    case TM_Ok:
      break;
    case TM_SelfModified:
      if (tmfd.cmax != estate->es_output_cid)
        ereport(ERROR, (errcode(ERRCODE_TRIGGERED_DATA_CHANGE_VIOLATION),
                        errmsg("tuple to be updated was already modified by an operation triggered by the current command"),
                        errhint("Consider using an AFTER trigger instead of a BEFORE trigger to propagate changes to other rows.")));
      if (ms->merge) merge_twice();
      return;  // already updated by this command (a join matched it twice): as PostgreSQL, once
    case TM_Deleted:
      // MERGE would take the row as NOT MATCHED now: refused as a concurrent update instead.
      if (IsolationUsesXactSnapshot() || ms->merge) concurrent_update(ms);
      return;  // deleted meanwhile: nothing left to update (READ COMMITTED)
    case TM_Updated:
      concurrent_update(ms);
    default:
      elog(ERROR, "unexpected result %d locking a row to move", (int)res);
  }

  // The new row: the old one with the columns the UPDATE sets.
  if (merge_new != nullptr) {
    ExecCopySlot(newslot, merge_new);
  } else {
    slot_getallattrs(oldslot);
    ExecClearTuple(newslot);
    const int natts = newslot->tts_tupleDescriptor->natts;
    memcpy(newslot->tts_values, oldslot->tts_values, sizeof(Datum) * natts);
    memcpy(newslot->tts_isnull, oldslot->tts_isnull, sizeof(bool) * natts);
    List* colnos = (List*)list_nth(((ModifyTable*)mt->ps.plan)->updateColnosLists, r);
    ListCell* lc;
    int k = 0;
    foreach (lc, colnos) {
      ++k;
      const AttrNumber attno = (AttrNumber)lfirst_int(lc);
      newslot->tts_values[attno - 1] = slot_getattr(plan_slot, k, &newslot->tts_isnull[attno - 1]);
    }
    ExecStoreVirtualTuple(newslot);
  }
  ExecMaterializeSlot(newslot);

  EPQState* epq = &mt->mt_epqstate;
  TriggerDesc* trig = src->ri_TrigDesc;
  if (trig != nullptr && trig->trig_update_before_row &&
      !ExecBRUpdateTriggers(estate, epq, src, &tid, nullptr, newslot, &tmfd))
    return;  // a trigger skipped the update

  // The destination, from the row the triggers left.
  const AttrNumber time_attno = (AttrNumber)get_attnum(RelationGetRelid(rel), NameStr(ms->ht->time_column));
  Datum tv = slot_getattr(newslot, time_attno, &isnull);
  if (isnull)
    ereport(ERROR, (errcode(ERRCODE_NOT_NULL_VIOLATION),
                    errmsg("NULL value in column \"%s\" violates not-null constraint", NameStr(ms->ht->time_column)),
                    errhint("Columns used for time partitioning cannot be NULL.")));
  const int64 value = time_datum_to_internal(tv, ms->ht->time_type);
  DestRel* dest = dest_for(ms, value);

  if (trig != nullptr && trig->trig_delete_before_row) {
    TupleTableSlot* epqslot = nullptr;
    if (!ExecBRDeleteTriggers(estate, epq, src, &tid, nullptr, &epqslot)) return;  // not moved
  }
  res = table_tuple_delete(rel, &tid, estate->es_output_cid, estate->es_snapshot, estate->es_crosscheck_snapshot,
                           true, &tmfd, true /* changingPart: concurrent updaters see a moved row */);
  if (res == TM_SelfModified && ms->merge && tmfd.cmax == estate->es_output_cid) merge_twice();
  if (res == TM_SelfModified)
    ereport(ERROR, (errcode(ERRCODE_TRIGGERED_DATA_CHANGE_VIOLATION),
                    errmsg("tuple to be updated was already modified by an operation triggered by the current command"),
                    errhint("Consider using an AFTER trigger instead of a BEFORE trigger to propagate changes to other rows.")));
  if (res != TM_Ok) concurrent_update(ms);
  ExecARDeleteTriggers(estate, src, &tid, nullptr, nullptr, false);

  // Insert into the destination, in its layout.
  Relation drel = dest->rri->ri_RelationDesc;
  TupleTableSlot* ins = dest->slot;
  if (dest->map_source != r) {
    MemoryContext q = MemoryContextSwitchTo(estate->es_query_cxt);
    dest->map = build_attrmap_by_name_if_req(RelationGetDescr(rel), RelationGetDescr(drel));
    dest->map_source = r;
    MemoryContextSwitchTo(q);
  }
  if (dest->map == nullptr)
    ExecCopySlot(ins, newslot);
  else
    ExecCopySlot(ins, execute_attr_map_slot(dest->map, newslot, dest->map_slot));
  ResultRelInfo* drri = dest->rri;
  if (drri->ri_TrigDesc != nullptr && drri->ri_TrigDesc->trig_insert_before_row &&
      !ExecBRInsertTriggers(estate, drri, ins))
    return;  // deleted but not inserted, as PostgreSQL does when a moved row's insert is skipped
  TupleDesc ddesc = RelationGetDescr(drel);
  if (ddesc->constr != nullptr && ddesc->constr->has_generated_stored)
    ExecComputeStoredGenerated(drri, estate, ins, CMD_INSERT);
  // Row-level security: the UPDATE's WITH CHECK policies, on the new row (the source's
  // expressions, in the source's layout).
  if (src->ri_WithCheckOptions != NIL) ExecWithCheckOptions(WCO_RLS_UPDATE_CHECK, src, dest->map == nullptr ? ins : newslot, estate);
  if (ddesc->constr != nullptr) ExecConstraints(drri, ins, estate);
  if (dest->dml != nullptr) {
    slot_getallattrs(ins);
    columnstore::dml_check_unique(dest->dml, ins->tts_values, ins->tts_isnull);
  }
  table_tuple_insert(drel, ins, estate->es_output_cid, 0, nullptr);
  List* recheck = drri->ri_NumIndices > 0 ? ExecInsertIndexTuples(drri, ins, estate, false, false, nullptr, NIL) : NIL;
  ExecARInsertTriggers(estate, drri, ins, recheck, nullptr);
  list_free(recheck);
  if (ms->cagg != nullptr) caggs_track(ms->cagg, value);
  ms->moved++;
  if (mt->canSetTag) estate->es_processed++;
  if (ms->merge) mt->mt_merge_updated += 1;

  if (ms->returning != nullptr && src->ri_projectReturning != nullptr) {
    ProjectionInfo* proj = src->ri_projectReturning;
    ExprContext* econtext = proj->pi_exprContext;
    TupleTableSlot* scan = dest->map == nullptr ? ins : newslot;
    scan->tts_tableOid = dest->relid;
    econtext->ecxt_scantuple = scan;
    econtext->ecxt_outertuple = plan_slot;
    tuplestore_puttupleslot(ms->returning, ExecProject(proj));
  }
}

Node* create_move_state(CustomScan*) {
  MoveState* ms = (MoveState*)newNode(sizeof(MoveState), T_CustomScanState);
  ms->css.methods = &move_exec_methods;
  return (Node*)ms;
}

void move_begin(CustomScanState* node, EState* estate, int eflags) {
  MoveState* ms = (MoveState*)node;
  CustomScan* cscan = (CustomScan*)node->ss.ps.plan;
  List* priv = cscan->custom_private;
  Oid ht_relid = (Oid)intVal(list_nth(priv, kPrivHypertable));
  ms->ht = hypertable_get(ht_relid);
  if (ms->ht == nullptr) elog(ERROR, "relation %u is no longer a hypertable", ht_relid);
  List* positions = (List*)list_nth(priv, kPrivPositions);
  List* relids = (List*)list_nth(priv, kPrivRelids);
  ms->nrels = list_length(positions);
  const int n = ms->nrels > 0 ? ms->nrels : 1;
  ms->positions = (int*)palloc0(sizeof(int) * n);
  ms->relids = (Oid*)palloc0(sizeof(Oid) * n);
  for (int i = 0; i < ms->nrels; ++i) {
    ms->positions[i] = list_nth_int(positions, i);
    ms->relids[i] = (Oid)list_nth_oid(relids, i);
  }
  ms->ctid_resno = (AttrNumber)intVal(list_nth(priv, kPrivCtid));
  ms->tableoid_resno = (AttrNumber)intVal(list_nth(priv, kPrivTableoid));
  ms->merge = list_length(priv) > kPrivMerge && intVal(list_nth(priv, kPrivMerge)) != 0;
  ms->known = (bool*)palloc0(sizeof(bool) * n);
  ms->is_chunk = (bool*)palloc0(sizeof(bool) * n);
  ms->range_start = (int64*)palloc0(sizeof(int64) * n);
  ms->range_end = (int64*)palloc0(sizeof(int64) * n);
  ms->status = (int32*)palloc0(sizeof(int32) * n);
  ms->old_slots = (TupleTableSlot**)palloc0(sizeof(TupleTableSlot*) * n);
  ms->new_slots = (TupleTableSlot**)palloc0(sizeof(TupleTableSlot*) * n);
  ms->merge_time_exprs = (List**)palloc0(sizeof(List*) * n);
  ms->dests = NIL;
  ms->returning = nullptr;
  ms->cagg = caggs_tracker_for(ms->ht);
  ms->moved = 0;
  // Rows pass through unchanged: our result slots are the child's.
  node->ss.ps.resultopsset = true;
  node->ss.ps.resultopsfixed = false;
  node->custom_ps = list_make1(ExecInitNode((Plan*)linitial(cscan->custom_plans), estate, eflags));
}

TupleTableSlot* move_exec(CustomScanState* node) {
  MoveState* ms = (MoveState*)node;
  PlanState* child = (PlanState*)linitial(node->custom_ps);
  EState* estate = node->ss.ps.state;
  for (;;) {
    TupleTableSlot* slot = ExecProcNode(child);
    if (TupIsNull(slot)) return nullptr;
    const int r = result_rel_index(ms, slot);
    if (r < 0 || r >= ms->nrels || ms->positions[r] == 0) return slot;
    bool isnull;
    Datum d = slot_getattr(slot, ms->positions[r], &isnull);
    if (isnull) return slot;  // the UPDATE reports the NOT NULL violation
    if (!ms->known[r]) load_rel(ms, r);
    if (!ms->is_chunk[r]) return slot;
    const int64 v = time_datum_to_internal(d, ms->ht->time_type);
    if (v >= ms->range_start[r] && v < ms->range_end[r]) return slot;
    // Re-checking a concurrently updated row (EvalPlanQual) whose new time leaves its chunk.
    if (estate->es_epq_active != nullptr) concurrent_update(ms);
    // The move's transient allocations go to the per-tuple memory, which ModifyTable resets
    // before each row it asks for anyway.
    MemoryContext old = MemoryContextSwitchTo(GetPerTupleMemoryContext(estate));
    move_row(ms, r, slot, nullptr);
    MemoryContextSwitchTo(old);
    ResetPerTupleExprContext(estate);
  }
}

// MERGE: the state of the time column's new value in each WHEN MATCHED action of result relation
// r (nullptr for an action that is no UPDATE or does not set it), built on first use.
List* merge_time_exprs(MoveState* ms, int r) {
  if (ms->merge_time_exprs[r] != NIL) return ms->merge_time_exprs[r];
  ModifyTableState* mt = ms->mt;
  ResultRelInfo* rri = &mt->resultRelInfo[r];
  const AttrNumber time_attno = get_attnum(ms->relids[r], NameStr(ms->ht->time_column));
  MemoryContext old = MemoryContextSwitchTo(ms->css.ss.ps.state->es_query_cxt);
  List* out = NIL;
  ListCell* lc;
  foreach (lc, rri->ri_matchedMergeAction) {
    MergeAction* action = ((MergeActionState*)lfirst(lc))->mas_action;
    ExprState* state = nullptr;
    if (action->commandType == CMD_UPDATE) {
      // The action's target list holds the new values of its updateColnos, in that order.
      ListCell* cc;
      ListCell* tc;
      forboth (cc, action->updateColnos, tc, action->targetList)
        if (lfirst_int(cc) == time_attno) state = ExecInitExpr(((TargetEntry*)lfirst(tc))->expr, &mt->ps);
    }
    out = lappend(out, state);
  }
  // An empty list would be built again: a relation without matched actions never gets here.
  ms->merge_time_exprs[r] = out;
  MemoryContextSwitchTo(old);
  return out;
}

// MERGE: the WHEN MATCHED action PostgreSQL will take for the row `plan_slot` (the first whose
// condition holds, evaluated as ExecMergeMatched does, on the target row `tid` of result relation
// r), when it is an UPDATE that sets the time column outside r's chunk; nullptr otherwise (the
// row goes to ModifyTable, which takes the action itself). The target row is left in the
// relation's ri_oldTupleSlot and the context's scan and inner tuples set, as for the action.
MergeActionState* merge_moving_action(MoveState* ms, int r, TupleTableSlot* plan_slot, ItemPointer tid) {
  ModifyTableState* mt = ms->mt;
  ResultRelInfo* rri = &mt->resultRelInfo[r];
  if (rri->ri_matchedMergeAction == NIL) return nullptr;
  List* times = merge_time_exprs(ms, r);
  ExprContext* econtext = mt->ps.ps_ExprContext;
  // SnapshotAny, as ExecMergeMatched fetches it: the version the join (or EvalPlanQual) found.
  if (!table_tuple_fetch_row_version(rri->ri_RelationDesc, tid, SnapshotAny, rri->ri_oldTupleSlot))
    elog(ERROR, "failed to fetch the target tuple");
  econtext->ecxt_scantuple = rri->ri_oldTupleSlot;
  econtext->ecxt_innertuple = plan_slot;
  econtext->ecxt_outertuple = nullptr;
  ListCell* lc;
  ListCell* tc;
  forboth (lc, rri->ri_matchedMergeAction, tc, times) {
    MergeActionState* action = (MergeActionState*)lfirst(lc);
    if (!ExecQual(action->mas_whenqual, econtext)) continue;
    ExprState* time = (ExprState*)lfirst(tc);
    if (time == nullptr) return nullptr;  // DELETE, DO NOTHING, or an UPDATE that keeps the time
    bool isnull;
    Datum d = ExecEvalExprSwitchContext(time, econtext, &isnull);
    if (isnull) return nullptr;  // the UPDATE reports the NOT NULL violation
    const int64 v = time_datum_to_internal(d, ms->ht->time_type);
    return v >= ms->range_start[r] && v < ms->range_end[r] ? nullptr : action;
  }
  return nullptr;
}

// The ModifyTableState whose EvalPlanQual re-runs this node, or nullptr: the node is the
// ModifyTable's subplan, and ModifyTable's EPQState is the one its rechecks run under.
ModifyTableState* epq_modify_table(MoveState* ms) {
  EPQState* epq = ms->css.ss.ps.state->es_epq_active;
  if (epq == nullptr || epq->plan != ms->css.ss.ps.plan) return nullptr;
  ModifyTableState* mt = (ModifyTableState*)((char*)epq - offsetof(ModifyTableState, mt_epqstate));
  return IsA(mt, ModifyTableState) ? mt : nullptr;
}

void align_with_modify_table(MoveState* ms);

TupleTableSlot* merge_move_exec(CustomScanState* node) {
  MoveState* ms = (MoveState*)node;
  PlanState* child = (PlanState*)linitial(node->custom_ps);
  EState* estate = node->ss.ps.state;
  if (ms->mt == nullptr && estate->es_epq_active != nullptr) {
    // EvalPlanQual's copy of this node: it finds its ModifyTable through the EPQState.
    ms->mt = epq_modify_table(ms);
    if (ms->mt != nullptr) align_with_modify_table(ms);
  }
  for (;;) {
    TupleTableSlot* slot = ExecProcNode(child);
    if (TupIsNull(slot)) return nullptr;
    if (ms->mt == nullptr) return slot;
    bool isnull;
    Datum ctid = slot_getattr(slot, ms->ctid_resno, &isnull);
    if (isnull) return slot;  // NOT MATCHED
    const int r = result_rel_index(ms, slot);
    if (r < 0 || r >= ms->nrels || ms->positions[r] == 0) return slot;
    if (!ms->known[r]) load_rel(ms, r);
    if (!ms->is_chunk[r]) return slot;
    ItemPointerData tid = *(ItemPointer)DatumGetPointer(ctid);
    MergeActionState* action = merge_moving_action(ms, r, slot, &tid);
    if (action == nullptr) return slot;
    // A concurrently updated row re-checked (EvalPlanQual) whose new time leaves its chunk.
    if (estate->es_epq_active != nullptr) concurrent_update(ms);
    ModifyTableState* mt = ms->mt;
    ResultRelInfo* rri = &mt->resultRelInfo[r];
    MemoryContext old = MemoryContextSwitchTo(GetPerTupleMemoryContext(estate));
    // As ExecMergeMatched: the UPDATE policies' USING checks on the target row, then the new row.
    if (rri->ri_WithCheckOptions != NIL)
      ExecWithCheckOptions(WCO_RLS_MERGE_UPDATE_CHECK, rri, rri->ri_oldTupleSlot, estate);
    TupleTableSlot* newrow = ExecProject(action->mas_proj);
    move_row(ms, r, slot, newrow);
    // EXPLAIN ANALYZE counts MERGE's source rows as this node's output, less those that took an
    // action, as skipped: a moved row, counted as updated, is one of them.
    if (node->ss.ps.instrument != nullptr) node->ss.ps.instrument->tuplecount += 1;
    MemoryContextSwitchTo(old);
    ResetPerTupleExprContext(estate);
    ResetExprContext(mt->ps.ps_ExprContext);
  }
}

TupleTableSlot* move_exec_any(CustomScanState* node) {
  return ((MoveState*)node)->merge ? merge_move_exec(node) : move_exec(node);
}

void move_end(CustomScanState* node) {
  MoveState* ms = (MoveState*)node;
  ExecEndNode((PlanState*)linitial(node->custom_ps));
  ListCell* lc;
  foreach (lc, ms->dests) {
    DestRel* d = (DestRel*)lfirst(lc);
    columnstore::dml_close(d->dml);
    table_close(d->rri->ri_RelationDesc, NoLock);
  }
  ms->dests = NIL;
  if (ms->returning != nullptr) tuplestore_end(ms->returning);
  ms->returning = nullptr;
}

void move_explain(CustomScanState* node, List*, ExplainState* es) {
  if (es->analyze) ExplainPropertyInteger("Rows Moved", nullptr, ((MoveState*)node)->moved, es);
}

void move_rescan(CustomScanState* node) { ExecReScan((PlanState*)linitial(node->custom_ps)); }

// The execution's ModifyTable may list fewer result relations than the plan (a generic plan whose
// chunks were pruned at executor start, src/planner/lazy_dml.cpp): the per-relation arrays are
// then rebuilt in its order, found by relid, as result_rel_index and move_row index them by it.
void align_with_modify_table(MoveState* ms) {
  ModifyTableState* mt = ms->mt;
  if (mt->mt_nrels == ms->nrels) return;
  const int n = mt->mt_nrels > 0 ? mt->mt_nrels : 1;
  int* positions = (int*)palloc0(sizeof(int) * n);
  Oid* relids = (Oid*)palloc0(sizeof(Oid) * n);
  for (int i = 0; i < mt->mt_nrels; ++i) {
    relids[i] = RelationGetRelid(mt->resultRelInfo[i].ri_RelationDesc);
    for (int j = 0; j < ms->nrels; ++j)
      if (ms->relids[j] == relids[i]) positions[i] = ms->positions[j];
  }
  ms->nrels = mt->mt_nrels;
  ms->positions = positions;
  ms->relids = relids;
  // Arrays filled on first use start again (nothing used them yet: this runs before any row).
  ms->known = (bool*)palloc0(sizeof(bool) * n);
  ms->is_chunk = (bool*)palloc0(sizeof(bool) * n);
  ms->range_start = (int64*)palloc0(sizeof(int64) * n);
  ms->range_end = (int64*)palloc0(sizeof(int64) * n);
  ms->status = (int32*)palloc0(sizeof(int32) * n);
  ms->old_slots = (TupleTableSlot**)palloc0(sizeof(TupleTableSlot*) * n);
  ms->new_slots = (TupleTableSlot**)palloc0(sizeof(TupleTableSlot*) * n);
  ms->merge_time_exprs = (List**)palloc0(sizeof(List*) * n);
}

Node* create_update_state(CustomScan*) {
  UpdateState* us = (UpdateState*)newNode(sizeof(UpdateState), T_CustomScanState);
  us->css.methods = &update_exec_methods;
  return (Node*)us;
}

void update_begin(CustomScanState* node, EState* estate, int eflags) {
  UpdateState* us = (UpdateState*)node;
  CustomScan* cscan = (CustomScan*)node->ss.ps.plan;
  PlanState* ps = ExecInitNode((Plan*)linitial(cscan->custom_plans), estate, eflags);
  node->custom_ps = list_make1(ps);
  ModifyTableState* mt = castNode(ModifyTableState, ps);
  us->move = nullptr;
  us->returning_slot = nullptr;
  us->modify_done = false;
  PlanState* sub = outerPlanState(mt);
  if (sub != nullptr && IsA(sub, CustomScanState) && ((CustomScanState*)sub)->methods == &move_exec_methods) {
    us->move = (MoveState*)sub;
    us->move->mt = mt;
    align_with_modify_table(us->move);
    if (((ModifyTable*)mt->ps.plan)->returningLists != NIL) {
      us->move->returning = tuplestore_begin_heap(false, false, work_mem);
      us->returning_slot = ExecInitExtraTupleSlot(estate, mt->ps.ps_ResultTupleDesc, &TTSOpsMinimalTuple);
    }
  }
  node->ss.ps.resultopsset = true;
  node->ss.ps.resultopsfixed = false;
}

TupleTableSlot* update_exec(CustomScanState* node) {
  UpdateState* us = (UpdateState*)node;
  if (!us->modify_done) {
    TupleTableSlot* slot = ExecProcNode((PlanState*)linitial(node->custom_ps));
    if (!TupIsNull(slot)) return slot;
    us->modify_done = true;
  }
  // Then the RETURNING rows of the moved rows.
  if (us->returning_slot != nullptr && us->move->returning != nullptr &&
      tuplestore_gettupleslot(us->move->returning, true, false, us->returning_slot))
    return us->returning_slot;
  return nullptr;
}

void update_end(CustomScanState* node) { ExecEndNode((PlanState*)linitial(node->custom_ps)); }

void update_rescan(CustomScanState* node) { ExecReScan((PlanState*)linitial(node->custom_ps)); }

// Output columns of a wrapper node: Vars over custom_scan_tlist, which holds the wrapped node's
// expressions (so EXPLAIN VERBOSE can print them).
List* index_var_tlist(List* tlist) {
  List* out = NIL;
  ListCell* lc;
  foreach (lc, tlist) {
    TargetEntry* tle = (TargetEntry*)lfirst(lc);
    Node* e = (Node*)tle->expr;
    Var* v = makeVar(INDEX_VAR, tle->resno, exprType(e), exprTypmod(e), exprCollation(e), 0);
    out = lappend(out, makeTargetEntry((Expr*)v, tle->resno, tle->resname, tle->resjunk));
  }
  return out;
}

void copy_costs(Plan* to, const Plan* from) {
  to->startup_cost = from->startup_cost;
  to->total_cost = from->total_cost;
  to->plan_rows = from->plan_rows;
  to->plan_width = from->plan_width;
  to->parallel_aware = false;
  to->parallel_safe = false;
}

AttrNumber junk_resno(List* tlist, const char* name) {
  ListCell* lc;
  foreach (lc, tlist) {
    TargetEntry* tle = (TargetEntry*)lfirst(lc);
    if (tle->resjunk && tle->resname != nullptr && strcmp(tle->resname, name) == 0) return tle->resno;
  }
  return 0;
}

Plan* wrap_update(Plan* plan, PlannedStmt* stmt) {
  if (plan == nullptr || !IsA(plan, ModifyTable)) return plan;
  ModifyTable* mt = (ModifyTable*)plan;
  const bool merge = mt->operation == CMD_MERGE;
  if ((mt->operation != CMD_UPDATE && !merge) || mt->nominalRelation == 0) return plan;
  RangeTblEntry* nominal = rt_fetch(mt->nominalRelation, stmt->rtable);
  if (nominal->rtekind != RTE_RELATION) return plan;
  Hypertable* ht = hypertable_get(nominal->relid);
  if (ht == nullptr) return plan;
  Plan* sub = outerPlan(mt);
  if (sub == nullptr) return plan;
  const AttrNumber ctid = junk_resno(sub->targetlist, "ctid");
  const AttrNumber tableoid = junk_resno(sub->targetlist, "tableoid");
  if (ctid == 0 || (tableoid == 0 && list_length(mt->resultRelations) != 1)) return plan;

  List* positions = NIL;
  List* relids = NIL;
  bool any = false;
  ListCell* rc;
  ListCell* uc;
  // Per result relation: UPDATE's update_colnos, MERGE's actions.
  forboth (rc, mt->resultRelations, uc, merge ? mt->mergeActionLists : mt->updateColnosLists) {
    RangeTblEntry* rte = rt_fetch(lfirst_int(rc), stmt->rtable);
    const AttrNumber time_attno = get_attnum(rte->relid, NameStr(ht->time_column));
    int position = 0;
    int k = 0;
    ListCell* c;
    foreach (c, (List*)lfirst(uc)) {
      ++k;
      if (!merge) {
        if (lfirst_int(c) == time_attno) position = k;
        continue;
      }
      const MergeAction* action = (const MergeAction*)lfirst(c);
      if (action->matched && action->commandType == CMD_UPDATE && list_member_int(action->updateColnos, time_attno))
        position = 1;
    }
    positions = lappend_int(positions, position);
    relids = lappend_oid(relids, rte->relid);
    any |= position > 0;
  }
  if (!any) return plan;  // the UPDATE does not set the time column

  CustomScan* move = makeNode(CustomScan);
  move->methods = &move_plan_methods;
  move->custom_plans = list_make1(sub);
  move->custom_private = list_make5(makeInteger((int)ht->relid), positions, relids, makeInteger(ctid),
                                    makeInteger(tableoid));
  move->custom_private = lappend(move->custom_private, makeInteger(merge ? 1 : 0));
  copy_costs(&move->scan.plan, sub);
  // Output columns: the subplan's, as OUTER_VAR references (the subplan is also lefttree, never
  // initialised from there, so that EXPLAIN VERBOSE can resolve them). ModifyTable finds its junk
  // columns here by name.
  List* tlist = NIL;
  ListCell* lc;
  foreach (lc, sub->targetlist) {
    TargetEntry* tle = (TargetEntry*)lfirst(lc);
    Node* e = (Node*)tle->expr;
    Var* v = makeVar(OUTER_VAR, tle->resno, exprType(e), exprTypmod(e), exprCollation(e), 0);
    tlist = lappend(tlist, makeTargetEntry((Expr*)v, tle->resno, tle->resname, tle->resjunk));
  }
  move->scan.plan.targetlist = tlist;
  move->scan.plan.lefttree = sub;
  mt->plan.lefttree = &move->scan.plan;

  CustomScan* top = makeNode(CustomScan);
  top->methods = &update_plan_methods;
  top->custom_plans = list_make1(mt);
  copy_costs(&top->scan.plan, &mt->plan);
  top->custom_scan_tlist = (List*)copyObjectImpl(mt->plan.targetlist);
  top->scan.plan.targetlist = index_var_tlist(mt->plan.targetlist);
  return &top->scan.plan;
}

// A chunk's range constraint under ON CONFLICT DO UPDATE (guard_on_conflict_range): an ExprState
// whose evaluation is the constraint's, except that the updated row failing it is an error.
struct RangeGuard {
  ExprState state;  // evalfunc: range_guard_eval
  ExprState* check;
  ResultRelInfo* rri;
};

Datum range_guard_eval(ExprState* state, ExprContext* econtext, bool* isnull) {
  RangeGuard* g = (RangeGuard*)state;
  Datum d = ExecEvalExpr(g->check, econtext, isnull);
  if (*isnull || DatumGetBool(d)) return d;
  // ExecConstraints checks the row in the scan tuple: the ON CONFLICT projection's slot when the
  // update is checked, the inserted row's slot otherwise (a BEFORE INSERT trigger moved it: 23514).
  const OnConflictSetState* oc = g->rri->ri_onConflict;
  if (oc != nullptr && econtext->ecxt_scantuple == oc->oc_ProjSlot) {
    const ResultRelInfo* root = g->rri->ri_RootResultRelInfo;
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("invalid ON UPDATE specification"),
                    errdetail("The updated row would belong to a different chunk of hypertable \"%s\" than the original row.",
                              root != nullptr ? RelationGetRelationName(root->ri_RelationDesc)
                                              : RelationGetRelationName(g->rri->ri_RelationDesc)),
                    errhint("Use UPDATE to move rows between chunks.")));
  }
  return d;
}

}  // namespace

void guard_on_conflict_range(ResultRelInfo* rri, EState* estate) {
  TupleConstr* constr = RelationGetDescr(rri->ri_RelationDesc)->constr;
  if (constr == nullptr || constr->num_check == 0 || rri->ri_ConstraintExprs != nullptr) return;
  const int ncheck = constr->num_check;
  MemoryContext old = MemoryContextSwitchTo(estate->es_query_cxt);
  // As ExecRelCheck prepares them, the range constraint wrapped.
  ExprState** exprs = (ExprState**)palloc0(sizeof(ExprState*) * ncheck);
  for (int i = 0; i < ncheck; i++) {
    exprs[i] = ExecPrepareExpr((Expr*)stringToNode(constr->check[i].ccbin), estate);
    // The time range, and the hash range of a space-partitioned hypertable's chunk.
    if (strcmp(constr->check[i].ccname, kChunkRangeConstraint) != 0 && strcmp(constr->check[i].ccname, "_strata_space") != 0)
      continue;
    RangeGuard* g = (RangeGuard*)newNode(sizeof(RangeGuard), T_ExprState);
    g->state.evalfunc = pg::guarded<range_guard_eval>;
    g->check = exprs[i];
    g->rri = rri;
    exprs[i] = &g->state;
  }
  rri->ri_ConstraintExprs = exprs;
  MemoryContextSwitchTo(old);
}

void move_rows_across_chunks(const pg::PlannerCall*, PlannedStmt* stmt) {
  if (stmt == nullptr || stmt->commandType == CMD_UTILITY || !extension_is_active()) return;
  stmt->planTree = wrap_update(stmt->planTree, stmt);
  ListCell* lc;
  foreach (lc, stmt->subplans) lfirst(lc) = wrap_update((Plan*)lfirst(lc), stmt);
}

// PostgreSQL calls these methods through pg::guarded, inside cpp_entry (src/pg/guard.hpp).
void row_move_init() {
  move_plan_methods.CustomName = "ChunkRowMove";
  move_plan_methods.CreateCustomScanState = pg::guarded<create_move_state>;
  update_plan_methods.CustomName = "StrataUpdate";
  update_plan_methods.CreateCustomScanState = pg::guarded<create_update_state>;
  move_exec_methods.CustomName = "ChunkRowMove";
  move_exec_methods.BeginCustomScan = pg::guarded<move_begin>;
  move_exec_methods.ExecCustomScan = pg::guarded<move_exec_any>;
  move_exec_methods.EndCustomScan = pg::guarded<move_end>;
  move_exec_methods.ReScanCustomScan = pg::guarded<move_rescan>;
  move_exec_methods.ExplainCustomScan = pg::guarded<move_explain>;
  update_exec_methods.CustomName = "StrataUpdate";
  update_exec_methods.BeginCustomScan = pg::guarded<update_begin>;
  update_exec_methods.ExecCustomScan = pg::guarded<update_exec>;
  update_exec_methods.EndCustomScan = pg::guarded<update_end>;
  update_exec_methods.ReScanCustomScan = pg::guarded<update_rescan>;
  RegisterCustomScanMethods(&move_plan_methods);
  RegisterCustomScanMethods(&update_plan_methods);
}

}  // namespace strata
