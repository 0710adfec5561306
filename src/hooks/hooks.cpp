// The hook dispatcher: installs each PostgreSQL hook and callback that strata uses exactly once,
// chains to the hook installed before it, and runs the subsystems' handlers in the order of the
// hook table below, inside cpp_entry. See "Hooks" in docs/ARCHITECTURE.md.
#include "hooks/hooks.hpp"

#include "caggs/caggs.hpp"
#include "catalog/catalog.hpp"
#include "columnstore/agg.hpp"
#include "columnstore/columnstore.hpp"
#include "columnstore/rowagg.hpp"
#include "columnstore/scan.hpp"
#include "ddl/ddl.hpp"
#include "gapfill/gapfill.hpp"
#include "hypertable/merge_count.hpp"
#include "ingest/ingest.hpp"
#include "ingest/row_move.hpp"
#include "jobs/jobs.hpp"
#include "pg/guard.hpp"
#include "pg/handlers.hpp"
#include "planner/lazy_locks.hpp"
#include "planner/projection.hpp"
#include "planner/realtime_union.hpp"
#include "planner/restrict.hpp"
#include "planner/planner.hpp"

extern "C" {
#include "executor/executor.h"
#include "optimizer/paths.h"
#include "optimizer/plancat.h"
#include "optimizer/planner.h"
#include "storage/ipc.h"
#include "utils/inval.h"
#include "utils/syscache.h"
}

namespace strata::hooks {
namespace {

using PlannerBefore = void (*)(const pg::PlannerCall* call);
using PlannerAfter = void (*)(const pg::PlannerCall* call, PlannedStmt* stmt);
using ExecutorStartHandler = void (*)(QueryDesc* query_desc, int eflags);
using RelationInfoHandler = void (*)(PlannerInfo* root, Oid relid, bool inhparent, RelOptInfo* rel);
using RelPathlistHandler = void (*)(PlannerInfo* root, RelOptInfo* rel, Index rti, RangeTblEntry* rte);
using UpperPathsHandler = void (*)(PlannerInfo* root, UpperRelationKind stage, RelOptInfo* input_rel,
                                   RelOptInfo* output_rel, void* extra);
using UtilityWrap = void (*)(const pg::UtilityCall* call);
using UtilityTakeOver = bool (*)(const pg::UtilityCall* call);
using Handler = void (*)();
using XactHandler = void (*)(XactEvent event);
using RelcacheHandler = void (*)(Oid relid);
struct SyscacheHandler {
  int cache_id;
  void (*handler)(int cache_id, uint32 hash_value);
};

// =============================================================================================
// THE HOOK TABLE: every handler of every hook, in the order in which it runs.
//
// To add a handler: declare it in its subsystem's header and list it here, in the phase and at
// the place where it must run. To use a new hook: add its table here, a dispatch function below
// (the body inside pg::cpp_entry, the previous hook chained as PostgreSQL's own modules do) and
// its installation in install_hooks(). Keep the table in docs/ARCHITECTURE.md in step.

// planner_hook. "before" handlers may change the query tree; then the previous planner hook (or
// standard_planner) plans; "after" handlers may change the plan.
constexpr PlannerBefore kPlannerBefore[] = {
    pull_up_realtime_materialized_side,  // planner: a real-time aggregate's materialized branch joins its UNION ALL's appendrel
    mark_hypertable_rtes,  // planner: strata, not PostgreSQL, expands hypertables
};
constexpr PlannerAfter kPlannerAfter[] = {
    route_inserts_to_chunks,  // ingest: INSERT into a hypertable routes rows through ChunkDispatch
    move_rows_across_chunks,  // ingest: an UPDATE of the time column moves rows between chunks
    fold_chunk_projections,  // planner: a Result projecting chunk scans moves into them
    defer_chunk_locks,  // planner: chunks under ChunkAppend's startup exclusion are locked by it
};

// ExecutorStart_hook: before the previous hook (or standard_ExecutorStart).
constexpr ExecutorStartHandler kExecutorStart[] = {
    prepare_lazy_chunk_rtes,  // planner: a private range table for the deferred chunks' entries
};
// ExecutorStart_hook: after the previous hook (the executor state exists).
constexpr ExecutorStartHandler kExecutorStartAfter[] = {
    link_chunk_dispatch,         // ingest: each ChunkDispatch gets the ModifyTableState above it
    note_merge_into_hypertable,  // hypertable: the MERGE whose tag counts rows the routing trigger inserts
};

// get_relation_info_hook: after the previous hook.
constexpr RelationInfoHandler kGetRelationInfo[] = {
    take_over_late_rte,  // planner: hypertables that appear during planning (inlined functions)
    check_compressed_chunk_rel,  // planner: a compressed chunk read outside hypertable expansion
};

// set_rel_pathlist_hook: after the previous hook.
constexpr RelPathlistHandler kSetRelPathlist[] = {
    level_realtime_member_quals,  // planner: a pulled-up real-time branch's leakproof quals at one security level
    expand_hypertable_rel,  // planner: the chunks that the restrictions can match, ChunkAppend
    gather_realtime_member,  // planner: a pulled-up real-time branch keeps its Gather paths
    plan_compressed_chunk_dml_target,  // planner: UPDATE/DELETE/MERGE of compressed chunks (columnstore)
};

// create_upper_paths_hook: after the previous hook.
constexpr UpperPathsHandler kCreateUpperPaths[] = {
    columnstore::add_columnstore_agg_paths,  // columnstore: partial aggregates computed on compressed batches
    gapfill::add_gapfill_paths,  // gapfill: GapFill above an aggregation grouped by time_bucket_gapfill()
    add_skip_scan_paths,  // planner: DISTINCT / DISTINCT ON over a btree prefix as a skip scan
    add_bucket_agg_paths,  // planner: GROUP BY time_bucket() over bucket-ordered input, aggregated natively
    add_bucket_capped_gather_paths,  // planner: parallel time_bucket() aggregation over a partial ChunkAppend, groups estimated from the chunks' ranges
    columnstore::add_rowagg_tail_paths,  // columnstore: RowstoreAggregate over a ChunkAppend of bitmap heap scans (a filtered real-time tail)
};

// ProcessUtility_hook. "wrap" handlers nest, the first outermost: each does its work before and
// after pg::utility_proceed(), which runs the next one. Innermost, "take over" handlers are asked
// in order; the first that returns true has run the statement itself. Otherwise the previous
// hook (or standard_ProcessUtility) runs it.
constexpr UtilityWrap kUtilityWrap[] = {
    jobs::wrap_utility,  // jobs: schedulers leave before DROP DATABASE, DROP EXTENSION, ...
    caggs_wrap_utility,  // caggs: CREATE/ALTER/DROP of continuous aggregates (before ddl sees the
                         // materialization hypertable's DROP)
    columnstore::wrap_utility,  // columnstore: ALTER TABLE ... SET (timescaledb.compress, ...) on hypertables
    ddl::wrap_utility,   // ddl: refusals; then DDL on a hypertable reaches its chunks and the catalog
};
constexpr UtilityTakeOver kUtilityTakeOver[] = {
    take_over_copy_from,  // ingest: COPY FROM into a hypertable
};

// shmem_request_hook (through compat::install_shmem_request) and shmem_startup_hook: after the
// previous hook; run in the postmaster, and only when strata is preloaded.
constexpr Handler kShmemRequest[] = {
    jobs::request_shmem,  // jobs: the launcher's and schedulers' shared state
    caggs_request_shmem,  // caggs: the newest raw time of each aggregate
};
constexpr Handler kShmemStartup[] = {
    jobs::startup_shmem,  // jobs: the launcher's and schedulers' shared state
    caggs_startup_shmem,  // caggs: the newest raw time of each aggregate
};

// RegisterXactCallback: at every transaction event.
constexpr XactHandler kXactEvent[] = {
    pg::refuse_commit_after_unrecovered_error,  // pg: no commit after a swallowed PostgreSQL error
    jobs::on_xact_event,  // jobs: scheduler starts, stops and wake-ups at commit or abort
    caggs_xact_event,     // caggs: the transaction's invalidation ranges written at pre-commit
};

// CacheRegisterRelcacheCallback / CacheRegisterSyscacheCallback: at every invalidation.
constexpr RelcacheHandler kRelcacheInvalidation[] = {
    catalog_relcache_invalidated,  // catalog: the hypertable cache and the extension state
    caggs_relcache_invalidated,    // caggs: which hypertables have aggregates, catalog OIDs
    columnstore::columnar_relcache_invalidated,  // columnstore: the planner's compressed chunk layouts
};
constexpr SyscacheHandler kSyscacheInvalidation[] = {
    {NAMESPACEOID, catalog_namespace_invalidated},  // catalog: schema renames and drops
    {NAMESPACEOID, caggs_namespace_invalidated},    // caggs: its catalog OIDs
    {PROCOID, dispatch_proc_invalidated},           // ingest: one-row INSERTs' rows kept across executions
    {AMOPOPID, planner_op_cache_invalidated},       // planner: time clauses' operator facts
    {OPEROID, planner_op_cache_invalidated},
    {PROCOID, planner_op_cache_invalidated},
};

// =============================================================================================
// Dispatch.

planner_hook_type prev_planner = nullptr;
ExecutorStart_hook_type prev_executor_start = nullptr;
get_relation_info_hook_type prev_get_relation_info = nullptr;
set_rel_pathlist_hook_type prev_set_rel_pathlist = nullptr;
create_upper_paths_hook_type prev_create_upper_paths = nullptr;
ProcessUtility_hook_type prev_process_utility = nullptr;
shmem_startup_hook_type prev_shmem_startup = nullptr;

PlannedStmt* on_planner(Query* parse, const char* query_string, int cursor_options, ParamListInfo bound_params) {
  return pg::cpp_entry([&] {
    const pg::PlannerCall call{parse, query_string, cursor_options, bound_params};
    for (PlannerBefore handler : kPlannerBefore) handler(&call);
    PlannedStmt* stmt = prev_planner != nullptr
                            ? prev_planner(parse, query_string, cursor_options, bound_params)
                            : standard_planner(parse, query_string, cursor_options, bound_params);
    for (PlannerAfter handler : kPlannerAfter) handler(&call, stmt);
    return stmt;
  });
}

void on_executor_start(QueryDesc* query_desc, int eflags) {
  pg::cpp_entry([&] {
    for (ExecutorStartHandler handler : kExecutorStart) handler(query_desc, eflags);
    if (prev_executor_start != nullptr)
      prev_executor_start(query_desc, eflags);
    else
      standard_ExecutorStart(query_desc, eflags);
    for (ExecutorStartHandler handler : kExecutorStartAfter) handler(query_desc, eflags);
  });
}

void on_get_relation_info(PlannerInfo* root, Oid relid, bool inhparent, RelOptInfo* rel) {
  pg::cpp_entry([&] {
    if (prev_get_relation_info != nullptr) prev_get_relation_info(root, relid, inhparent, rel);
    for (RelationInfoHandler handler : kGetRelationInfo) handler(root, relid, inhparent, rel);
  });
}

void on_set_rel_pathlist(PlannerInfo* root, RelOptInfo* rel, Index rti, RangeTblEntry* rte) {
  pg::cpp_entry([&] {
    if (prev_set_rel_pathlist != nullptr) prev_set_rel_pathlist(root, rel, rti, rte);
    for (RelPathlistHandler handler : kSetRelPathlist) handler(root, rel, rti, rte);
  });
}

void on_create_upper_paths(PlannerInfo* root, UpperRelationKind stage, RelOptInfo* input_rel,
                           RelOptInfo* output_rel, void* extra) {
  pg::cpp_entry([&] {
    if (prev_create_upper_paths != nullptr) prev_create_upper_paths(root, stage, input_rel, output_rel, extra);
    for (UpperPathsHandler handler : kCreateUpperPaths) handler(root, stage, input_rel, output_rel, extra);
  });
}

// The rest of the ProcessUtility chain from call->next_handler on (pg::utility_proceed).
void proceed(const pg::UtilityCall* call) {
  if (call->next_handler < static_cast<int>(lengthof(kUtilityWrap))) {
    pg::UtilityCall next = *call;
    next.next_handler++;
    return kUtilityWrap[call->next_handler](&next);
  }
  for (UtilityTakeOver handler : kUtilityTakeOver)
    if (handler(call)) return;
  if (prev_process_utility != nullptr)
    prev_process_utility(call->pstmt, call->query_string, call->read_only_tree, call->context, call->params,
                         call->query_env, call->dest, call->qc);
  else
    standard_ProcessUtility(call->pstmt, call->query_string, call->read_only_tree, call->context, call->params,
                            call->query_env, call->dest, call->qc);
}

void on_process_utility(PlannedStmt* pstmt, const char* query_string, bool read_only_tree,
                        ProcessUtilityContext context, ParamListInfo params, QueryEnvironment* query_env,
                        DestReceiver* dest, QueryCompletion* qc) {
  pg::cpp_entry([&] {
    const pg::UtilityCall call{pstmt, query_string, read_only_tree, context, params, query_env, dest, qc,
                               proceed, 0};
    proceed(&call);
  });
}

void on_shmem_request() {
  pg::cpp_entry([] {
    for (Handler handler : kShmemRequest) handler();
  });
}

void on_shmem_startup() {
  pg::cpp_entry([] {
    if (prev_shmem_startup != nullptr) prev_shmem_startup();
    for (Handler handler : kShmemStartup) handler();
  });
}

void on_xact_event(XactEvent event, void*) {
  pg::cpp_entry([&] {
    for (XactHandler handler : kXactEvent) handler(event);
  });
}

void on_relcache_invalidation(Datum, Oid relid) {
  pg::cpp_entry([&] {
    for (RelcacheHandler handler : kRelcacheInvalidation) handler(relid);
  });
}

void on_syscache_invalidation(Datum, int cache_id, uint32 hash_value) {
  pg::cpp_entry([&] {
    for (const SyscacheHandler& h : kSyscacheInvalidation)
      if (h.cache_id == cache_id) h.handler(cache_id, hash_value);
  });
}

}  // namespace

void install_hooks() {
  prev_planner = planner_hook;
  planner_hook = on_planner;
  prev_executor_start = ExecutorStart_hook;
  ExecutorStart_hook = on_executor_start;
  prev_get_relation_info = get_relation_info_hook;
  get_relation_info_hook = on_get_relation_info;
  prev_set_rel_pathlist = set_rel_pathlist_hook;
  set_rel_pathlist_hook = on_set_rel_pathlist;
  prev_create_upper_paths = create_upper_paths_hook;
  create_upper_paths_hook = on_create_upper_paths;
  prev_process_utility = ProcessUtility_hook;
  ProcessUtility_hook = on_process_utility;
  compat::install_shmem_request(on_shmem_request);  // chains the previous hook itself
  prev_shmem_startup = shmem_startup_hook;
  shmem_startup_hook = on_shmem_startup;
  RegisterXactCallback(on_xact_event, nullptr);
  CacheRegisterRelcacheCallback(on_relcache_invalidation, (Datum)0);
  for (size_t i = 0; i < lengthof(kSyscacheInvalidation); i++) {
    bool registered = false;  // one callback per cache, however many handlers it has
    for (size_t j = 0; j < i; j++) registered |= kSyscacheInvalidation[j].cache_id == kSyscacheInvalidation[i].cache_id;
    if (!registered) CacheRegisterSyscacheCallback(kSyscacheInvalidation[i].cache_id, on_syscache_invalidation, (Datum)0);
  }
}

}  // namespace strata::hooks
