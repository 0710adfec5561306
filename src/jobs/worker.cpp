// Background jobs: running a job. The job worker (one background worker per run, connected to
// the database as the job's owner, with the owner's settings) and run_job(), which runs a job in the calling session. Both
// call the job's procedure as `CALL proc(job_id, config)` in a non-atomic context, so the
// procedure may commit, and hold an advisory lock on the job so that it never runs twice at once.
#include "jobs/jobs.hpp"

extern "C" {
#include <signal.h>

#include "commands/defrem.h"
#include "nodes/parsenodes.h"
#include "pgstat.h"
#include "storage/ipc.h"
#include "storage/lmgr.h"
#include "tcop/pquery.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/guc.h"
#include "utils/portal.h"
#include "utils/snapmgr.h"
#include "utils/timeout.h"
}

#include "pg/guard.hpp"

namespace strata::jobs {

static int my_slot = -1;
static uint64 my_slot_generation = 0;

// On exit, however it happens: free the slot and have the database's scheduler look at the
// job (started again by the launcher if it left while this run went on): a run that ended
// without recording its result is recorded there, and the job's next start is taken into account.
static void release_own_slot(int, Datum arg) {
  const Oid dboid = DatumGetObjectId(arg);
  Latch* latches[2] = {nullptr, nullptr};
  const TimestampTz now = GetCurrentTimestamp();
  SpinLockAcquire(&shared->mutex);
  if (my_slot >= 0) {
    JobSlot& s = shared->slots[my_slot];
    if (s.in_use && s.generation == my_slot_generation) s.in_use = false;
    DbEntry* e = find_db_locked(dboid);
    if (e != nullptr) {
      e->changes++;
      e->next_due = Min(e->next_due, now);
      latches[0] = e->scheduler_latch;
    }
    latches[1] = shared->launcher_latch;
  }
  SpinLockRelease(&shared->mutex);
  my_slot = -1;
  for (Latch* l : latches)
    if (l) SetLatch(l);
}

// max_runtime: the run is cancelled when it is reached (the error is caught and recorded as
// 57014), and the worker terminated if the job goes on anyway (it caught the cancellation).
static volatile sig_atomic_t runtime_exceeded = false;

static void max_runtime_cancel() {
  runtime_exceeded = true;
  QueryCancelPending = true;
  InterruptPending = true;
  SetLatch(MyLatch);
}

static void max_runtime_terminate() {
  runtime_exceeded = true;
  ProcDiePending = true;
  InterruptPending = true;
  SetLatch(MyLatch);
}

// Runs one SQL statement as a top-level command of its own portal (as a client's simple query
// would), so that a procedure it calls may commit. Called inside a transaction; the transaction
// may have been replaced by the time it returns. `cxt` must outlive the transaction.
static void execute_toplevel(const char* sql, MemoryContext cxt) {
  MemoryContext old = MemoryContextSwitchTo(cxt);
  List* parsetrees = pg_parse_query(sql);
  if (list_length(parsetrees) != 1) elog(ERROR, "strata jobs: expected one statement");
  RawStmt* raw = linitial_node(RawStmt, parsetrees);
  PushActiveSnapshot(GetTransactionSnapshot());
  List* queries = pg_analyze_and_rewrite_fixedparams(raw, sql, nullptr, 0, nullptr);
  List* plans = pg_plan_queries(queries, sql, CURSOR_OPT_PARALLEL_OK, nullptr);
  PopActiveSnapshot();
  Portal portal = CreatePortal("", true, true);
  portal->visible = false;
  PortalDefineQuery(portal, nullptr, sql, CreateCommandTag(raw->stmt), plans, nullptr);
  PortalStart(portal, nullptr, 0, InvalidSnapshot);
  DestReceiver* dest = CreateDestReceiver(DestNone);
  QueryCompletion qc;
  InitializeQueryCompletion(&qc);
  MemoryContextSwitchTo(old);
  (void)PortalRun(portal, FETCH_ALL, true, true, dest, dest, &qc);
  PortalDrop(portal, false);
}

static void record_finish_tx(int32 job_id, bool success, const char* sqlstate, const char* message) {
  StartTransactionCommand();
  PushActiveSnapshot(GetTransactionSnapshot());
  (void)record_finish(job_id, success, false, sqlstate, message, MyProcPid);
  PopActiveSnapshot();
  CommitTransactionCommand();
}

}  // namespace strata::jobs

STRATA_BGWORKER_MAIN(strata_jobs_worker_main) {
  using namespace strata::jobs;
  const Oid dboid = DatumGetObjectId(arg);
  WorkerArgs args;
  memcpy(&args, MyBgworkerEntry->bgw_extra, sizeof args);
  pqsignal(SIGTERM, die);
  BackgroundWorkerUnblockSignals();

  // Claim the slot the scheduler reserved; leave if it is gone (the scheduler gave it up) or the
  // database is being dropped or altered (stop_requested: the session doing it waits for us).
  SpinLockAcquire(&shared->mutex);
  JobSlot& slot = shared->slots[args.slot];
  const DbEntry* entry = find_db_locked(dboid);
  const bool ok = slot.in_use && slot.generation == args.slot_generation && entry != nullptr &&
                  !entry->stop_requested;
  if (ok) {
    slot.pid = MyProcPid;
    my_slot = args.slot;
    my_slot_generation = args.slot_generation;
  } else if (slot.in_use && slot.generation == args.slot_generation) {
    slot.in_use = false;
  }
  SpinLockRelease(&shared->mutex);
  if (!ok) proc_exit(0);
  before_shmem_exit(release_own_slot, ObjectIdGetDatum(dboid));

  // As the owner: fails (FATAL, recorded by the scheduler) if the role was dropped or can no
  // longer log in since the scheduler checked.
  BackgroundWorkerInitializeConnectionByOid(dboid, args.owner, 0);
  const int32 job_id = args.job_id;
  MemoryContext job_cxt = AllocSetContextCreate(TopMemoryContext, "strata job", ALLOCSET_DEFAULT_SIZES);
  char appname[NAMEDATALEN];
  snprintf(appname, sizeof appname, "strata job %d", job_id);
  SetConfigOption("application_name", appname, PGC_USERSET, PGC_S_SESSION);
  pgstat_report_appname(appname);

  StartTransactionCommand();
  PushActiveSnapshot(GetTransactionSnapshot());
  MemoryContext old = MemoryContextSwitchTo(job_cxt);
  JobRow job;
  const bool found = read_job(job_id, &job);
  MemoryContextSwitchTo(old);
  if (found) record_start(job_id, GetCurrentTimestamp());
  LOCKTAG tag;
  job_lock_tag(&tag, job_id);
  const LockAcquireResult locked = LockAcquire(&tag, ExclusiveLock, true, true);
  PopActiveSnapshot();
  CommitTransactionCommand();

  if (!found) proc_exit(0);  // deleted meanwhile: nothing to run or record
  if (locked == LOCKACQUIRE_NOT_AVAIL) {
    record_finish_tx(job_id, false, "55P03", psprintf("job %d is already running", job_id));
    proc_exit(0);
  }
  if (job.owner != args.owner) {
    record_finish_tx(job_id, false, "42501", "the owner of the job changed before it started");
    proc_exit(0);
  }
  if (job.prokind == '\0') {
    record_finish_tx(job_id, false, "42883",
                     psprintf("function or procedure %s.%s(integer, jsonb) does not exist",
                              quote_identifier(NameStr(job.proc_schema)), quote_identifier(NameStr(job.proc_name))));
    proc_exit(0);
  }

  // The job runs with the settings its owner gets on a connection to this database (InitPostgres
  // applied ALTER ROLE / ALTER DATABASE ... SET for the owner: search_path and all), as the job
  // runs under run_job in the owner's session; strata's own statements above and in
  // record_finish use their safe search_path (catalog_spi_begin).
  const char* sql = MemoryContextStrdup(job_cxt, job_call_sql(&job));
  if (args.max_runtime_usec > 0) {
    const int64 ms = Max(args.max_runtime_usec / 1000, 1);
    enable_timeout_after(RegisterTimeout(USER_TIMEOUT, max_runtime_cancel), static_cast<int>(Min(ms, INT_MAX)));
    enable_timeout_after(RegisterTimeout(USER_TIMEOUT, max_runtime_terminate),
                         static_cast<int>(Min(ms + 10000, INT_MAX)));
  }
  volatile bool success = false;
  char sqlstate[6] = "XX000";
  char* volatile message = nullptr;
  PG_TRY();
  {
    StartTransactionCommand();
    execute_toplevel(sql, job_cxt);
    CommitTransactionCommand();
    success = true;
  }
  PG_CATCH();
  {
    InterruptHoldoffCount = InterruptHoldoffCount + 1;  // HOLD_INTERRUPTS (C++20 rejects ++ on volatile)
    MemoryContextSwitchTo(job_cxt);
    ErrorData* edata = CopyErrorData();
    EmitErrorReport();
    FlushErrorState();
    AbortCurrentTransaction();
    InterruptHoldoffCount = InterruptHoldoffCount - 1;  // RESUME_INTERRUPTS
    strlcpy(sqlstate, unpack_sql_state(edata->sqlerrcode), sizeof sqlstate);
    message = edata->message ? edata->message : pstrdup("unknown error");
    if (runtime_exceeded && edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
      message = psprintf("job %d was cancelled after running longer than its max_runtime", job_id);
  }
  PG_END_TRY();
  disable_all_timeouts(false);
  // A cancellation that arrived after the run ended must not hit the recording.
  QueryCancelPending = false;
  record_finish_tx(job_id, success, sqlstate, message);
  LockRelease(&tag, ExclusiveLock, true);
  proc_exit(0);
}

// run_job(job_id): runs the job now in this session, as the calling role.
STRATA_FUNCTION(strata_run_job) {
  using namespace strata::jobs;
  if (PG_ARGISNULL(0))
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("job ID cannot be NULL")));
  const int32 job_id = PG_GETARG_INT32(0);
  bool atomic = true;
  if (fcinfo->context != nullptr && IsA(fcinfo->context, CallContext))
    atomic = castNode(CallContext, fcinfo->context)->atomic;
  (void)check_job_access(job_id, false);
  // The statement must survive commits made by the job.
  MemoryContext cxt = AllocSetContextCreate(TopMemoryContext, "strata run_job", ALLOCSET_SMALL_SIZES);
  MemoryContext old = MemoryContextSwitchTo(cxt);
  JobRow job;
  (void)read_job(job_id, &job);
  MemoryContextSwitchTo(old);
  if (job.prokind == '\0')
    ereport(ERROR, (errcode(ERRCODE_UNDEFINED_FUNCTION),
                    errmsg("function or procedure %s.%s(integer, jsonb) does not exist",
                           quote_identifier(NameStr(job.proc_schema)), quote_identifier(NameStr(job.proc_name)))));
  old = MemoryContextSwitchTo(cxt);
  const char* sql = job_call_sql(&job);
  MemoryContextSwitchTo(old);
  LOCKTAG tag;
  job_lock_tag(&tag, job_id);
  if (LockAcquire(&tag, ExclusiveLock, true, true) == LOCKACQUIRE_NOT_AVAIL)
    ereport(ERROR, (errcode(ERRCODE_LOCK_NOT_AVAILABLE), errmsg("job %d is already running", job_id)));
  PG_TRY();
  {
    if (SPI_connect_ext(atomic ? 0 : SPI_OPT_NONATOMIC) != SPI_OK_CONNECT)
      elog(ERROR, "strata jobs: SPI_connect failed");
    SPIExecuteOptions options;
    memset(&options, 0, sizeof options);
    options.allow_nonatomic = !atomic;
    const int rc = SPI_execute_extended(sql, &options);
    if (rc < 0) elog(ERROR, "strata jobs: running job %d failed: %s", job_id, SPI_result_code_string(rc));
    SPI_finish();
  }
  PG_FINALLY();
  {
    LockRelease(&tag, ExclusiveLock, true);
    MemoryContextDelete(cxt);
  }
  PG_END_TRY();
  PG_RETURN_VOID();
}
