// Background jobs: the per-database scheduler. It keeps no state the catalog does not have: on
// every wake it reads the jobs and their next start, starts the due ones in their own
// background workers (at most strata.max_background_workers at once across the server),
// records runs whose worker died without recording a result, and sleeps until the next start,
// a job change or a worker exit. It runs only while jobs are due: when none is due within a
// short horizon (none at all while other databases wait for room), it records in shared memory
// when the next one is and leaves, freeing its background worker slot; the launcher starts it
// again then, or at the next change to the jobs. Job workers do not need it: they enforce their
// own max_runtime, and their exit brings a scheduler back to record what happened.
#include "jobs/jobs.hpp"

extern "C" {
#include <signal.h>

#include "catalog/pg_database.h"
#include "commands/extension.h"
#include "pgstat.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/snapmgr.h"
#include "utils/wait_event.h"
}

namespace strata::jobs {

static volatile sig_atomic_t scheduler_stop = false;
static Oid my_db = InvalidOid;

static void scheduler_sigterm(SIGNAL_ARGS) {
  int save_errno = errno;
  scheduler_stop = true;
  SetLatch(MyLatch);
  errno = save_errno;
}

// The slot reserved for a run not yet handed to a worker (-1: none). Released when the
// scheduler exits in between (an error there is FATAL in a background worker): nothing else
// would, and the job would look as if it were running forever.
static int pending_slot = -1;
static uint64 pending_generation = 0;

static void release_slot(int slot, uint64 generation);

// How long a scheduler with nothing to do stays (a job due within it is started by this
// scheduler rather than by a new one); zero while other databases wait for room.
static constexpr int64 kIdleHorizonUsec = 3 * INT64CONST(1000000);
// A job that could not get a worker is tried again after this (sooner if a worker exits).
static constexpr int64 kRetryUsec = 500 * INT64CONST(1000);
// The launcher starts the scheduler of a database with no job due at least this often (a safety
// net: every change to the jobs wakes it anyway).
static constexpr int64 kMaxIdleUsec = 10 * 60 * INT64CONST(1000000);
// The scheduler terminates a run this long after its max_runtime if the worker's own
// cancellation and termination did not end it.
static constexpr int64 kRuntimeGraceUsec = 20 * INT64CONST(1000000);

static void scheduler_detach(int, Datum) {
  if (pending_slot >= 0) release_slot(pending_slot, pending_generation);
  pending_slot = -1;
  SpinLockAcquire(&shared->mutex);
  DbEntry* e = find_db_locked(my_db);
  if (e && e->scheduler_pid == MyProcPid) {
    e->scheduler_pid = 0;
    e->scheduler_latch = nullptr;
  }
  Latch* launcher = shared->launcher_latch;
  SpinLockRelease(&shared->mutex);
  if (launcher) SetLatch(launcher);
}

// A run this scheduler started.
struct Running {
  int32 job_id;
  Oid owner;
  BackgroundWorkerHandle* handle;
  TimestampTz started;
  int64 max_runtime_usec;  // 0: no limit
  bool cancelled;          // terminated for exceeding max_runtime
  bool seen_pid;
  int slot;
  uint64 slot_generation;
  int pid;
};

static constexpr int kMaxRunning = 1024;
static Running running[kMaxRunning];
static int nrunning = 0;

static bool is_running_here(int32 job_id) {
  for (int i = 0; i < nrunning; i++)
    if (running[i].job_id == job_id) return true;
  return false;
}

// The jobs of this database that have a job worker (of this scheduler or an earlier one), taken
// BEFORE the snapshot that reads the catalog: a worker that ends after this had its result
// committed before the snapshot, or is in the set; a worker cannot start for a job not in the
// set unless this scheduler starts it (workers reserve their slot before an earlier scheduler
// exits). Reading the set after the snapshot could take a run that just ended for an
// unfinished one, and start it twice or record it as interrupted. palloc'd, terminated by 0.
static int32* running_job_set() {
  int32* ids = static_cast<int32*>(palloc0(sizeof(int32) * (shared->nslots + 1)));
  int n = 0;
  SpinLockAcquire(&shared->mutex);
  for (int i = 0; i < shared->nslots; i++) {
    const JobSlot& s = shared->slots[i];
    if (s.in_use && s.dboid == my_db) ids[n++] = s.job_id;
  }
  SpinLockRelease(&shared->mutex);
  return ids;
}

static bool in_job_set(const int32* ids, int32 job_id) {
  for (; *ids != 0; ids++)
    if (*ids == job_id) return true;
  return false;
}

// Reserves a job slot if fewer than strata.max_background_workers jobs run; -1 otherwise.
static int reserve_slot(int32 job_id, uint64* generation) {
  int slot = -1;
  SpinLockAcquire(&shared->mutex);
  int used = 0;
  for (int i = 0; i < shared->nslots; i++)
    if (shared->slots[i].in_use) used++;
  if (used < guc_max_background_workers) {
    for (int i = 0; i < shared->nslots && slot < 0; i++)
      if (!shared->slots[i].in_use) slot = i;
  }
  if (slot >= 0) {
    JobSlot& s = shared->slots[slot];
    s.in_use = true;
    s.generation = shared->next_generation++;
    s.dboid = my_db;
    s.job_id = job_id;
    s.pid = 0;
    *generation = s.generation;
  }
  SpinLockRelease(&shared->mutex);
  return slot;
}

static void release_slot(int slot, uint64 generation) {
  SpinLockAcquire(&shared->mutex);
  JobSlot& s = shared->slots[slot];
  if (s.in_use && s.generation == generation) s.in_use = false;
  SpinLockRelease(&shared->mutex);
}

// Handles runs whose worker has stopped: a worker that recorded its result leaves
// last_finish >= last_start; anything else (cancelled, crashed, never got to record its start) is
// recorded here.
static void reap_workers() {
  for (int i = 0; i < nrunning;) {
    Running& r = running[i];
    pid_t pid = 0;
    BgwHandleStatus st = GetBackgroundWorkerPid(r.handle, &pid);
    if (st == BGWH_STARTED && pid != 0) {
      r.seen_pid = true;
      r.pid = pid;
    }
    // A worker that released its slot is done with the catalog even if the postmaster has not
    // yet seen it exit: take it as ended now, or a scheduler leaving meanwhile would count its
    // job as running (and the exit, already signalled, would bring no scheduler back).
    SpinLockAcquire(&shared->mutex);
    const JobSlot& slot = shared->slots[r.slot];
    const bool released = !(slot.in_use && slot.generation == r.slot_generation);
    SpinLockRelease(&shared->mutex);
    if (st != BGWH_STOPPED && !released) {
      i++;
      continue;
    }
    release_slot(r.slot, r.slot_generation);
    // A worker that left because the database is being dropped or altered did not fail.
    SpinLockAcquire(&shared->mutex);
    const DbEntry* self = find_db_locked(my_db);
    const bool stopping = self == nullptr || self->stop_requested;
    SpinLockRelease(&shared->mutex);
    if (stopping) {
      pfree(r.handle);
      running[i] = running[--nrunning];
      continue;
    }
    StartTransactionCommand();
    PushActiveSnapshot(GetTransactionSnapshot());
    CatalogContext cx;
    catalog_spi_begin(&cx);
    Oid types[2] = {INT4OID, TIMESTAMPTZOID};
    Datum values[2] = {Int32GetDatum(r.job_id), TimestampTzGetDatum(r.started)};
    // unstarted: the worker exited before recording its start (it could not connect as the
    // owner, say); the job was not deleted meanwhile.
    int rc = SPI_execute_with_args(
        "SELECT last_start IS NULL OR last_start < $2 FROM _strata_catalog.bgw_job_stat WHERE job_id = $1"
        "   AND (last_start IS NULL OR last_start < $2 OR last_finish IS NULL OR last_finish < last_start)",
        2, types, values, nullptr, true, 1);
    const bool unfinished = rc == SPI_OK_SELECT && SPI_processed == 1;
    bool isnull = true;
    const bool unstarted =
        unfinished && DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
    catalog_spi_end(&cx);
    if (unstarted) record_start(r.job_id, r.started);
    if (unfinished) {
      if (r.cancelled)
        (void)record_finish(r.job_id, false, false, "57014",
                            psprintf("job %d was cancelled after running longer than its max_runtime", r.job_id),
                            r.pid);
      else {
        // A worker that could not even connect: most likely its owner was dropped or lost its
        // login (or CONNECT) after the scheduler checked.
        const char* sqlstate = "XX000";
        const char* message = psprintf("job %d's background worker exited without recording a result", r.job_id);
        (void)owner_can_run(r.owner, &sqlstate, &message);
        (void)record_finish(r.job_id, false, true, sqlstate, message, r.pid);
      }
    }
    PopActiveSnapshot();
    CommitTransactionCommand();
    pfree(r.handle);
    running[i] = running[--nrunning];
  }
}

static BackgroundWorkerHandle* start_worker(int32 job_id, Oid owner, int slot, uint64 generation,
                                            int64 max_runtime_usec) {
  char name[BGW_MAXLEN];
  snprintf(name, sizeof name, "strata job %d", job_id);
  WorkerArgs args{job_id, owner, slot, generation, max_runtime_usec};
  return start_dynamic_worker("strata_jobs_worker_main", name, "strata job", ObjectIdGetDatum(my_db), &args,
                              sizeof args);
}

struct DueJob {
  int32 id;
  Oid owner;
  bool scheduled;
  TimestampTz next_start;
  int64 max_runtime_usec;
};

// Reads the jobs (and whether the extension is still installed). Returns -1 when the extension
// is gone, else the number of jobs in *out (palloc'd in `cxt`).
static int load_jobs(MemoryContext cxt, DueJob** out) {
  int n = 0;
  StartTransactionCommand();
  PushActiveSnapshot(GetTransactionSnapshot());
  const Oid ext = get_extension_oid("strata", true);
  if (!OidIsValid(ext) || creating_extension) {
    PopActiveSnapshot();
    CommitTransactionCommand();
    return -1;
  }
  CatalogContext cx;
  catalog_spi_begin(&cx);
  int rc = SPI_execute(
      "SELECT j.id, j.owner::oid, j.scheduled, s.next_start,"
      "       (extract(epoch FROM j.max_runtime) * 1000000)::bigint"
      "  FROM _strata_catalog.bgw_job j JOIN _strata_catalog.bgw_job_stat s ON s.job_id = j.id"
      " ORDER BY s.next_start",
      true, 0);
  if (rc == SPI_OK_SELECT) {
    n = static_cast<int>(SPI_processed);
    *out = static_cast<DueJob*>(MemoryContextAllocZero(cxt, sizeof(DueJob) * (n + 1)));
    for (int i = 0; i < n; i++) {
      HeapTuple t = SPI_tuptable->vals[i];
      TupleDesc d = SPI_tuptable->tupdesc;
      bool isnull;
      DueJob& j = (*out)[i];
      j.id = DatumGetInt32(SPI_getbinval(t, d, 1, &isnull));
      j.owner = DatumGetObjectId(SPI_getbinval(t, d, 2, &isnull));
      j.scheduled = DatumGetBool(SPI_getbinval(t, d, 3, &isnull));
      j.next_start = DatumGetTimestampTz(SPI_getbinval(t, d, 4, &isnull));
      j.max_runtime_usec = DatumGetInt64(SPI_getbinval(t, d, 5, &isnull));
    }
  }
  catalog_spi_end(&cx);
  PopActiveSnapshot();
  CommitTransactionCommand();
  return n;
}

// Runs left "running" by a scheduler that is gone (server crash, restart, DROP/ALTER EXTENSION
// stopping the workers) are recorded as crashed, unless their worker is still alive.
static void mark_interrupted_runs() {
  // A worker started by an earlier scheduler that exited before recording its start is not
  // seen here: the job is still due, and is started again.
  const int32* alive = running_job_set();
  StartTransactionCommand();
  PushActiveSnapshot(GetTransactionSnapshot());
  CatalogContext cx;
  catalog_spi_begin(&cx);
  int rc = SPI_execute(
      "SELECT job_id FROM _strata_catalog.bgw_job_stat"
      " WHERE last_start IS NOT NULL AND (last_finish IS NULL OR last_finish < last_start)",
      true, 0);
  int n = rc == SPI_OK_SELECT ? static_cast<int>(SPI_processed) : 0;
  int32* ids = static_cast<int32*>(palloc(sizeof(int32) * (n + 1)));
  for (int i = 0; i < n; i++) {
    bool isnull;
    ids[i] = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
  }
  for (int i = 0; i < n; i++)
    if (!in_job_set(alive, ids[i]))
      (void)record_finish(ids[i], false, true, "XX000",
                          psprintf("job %d was interrupted (server restart, crash, extension change, or its "
                                   "worker exited without recording a result)", ids[i]),
                          0);
  catalog_spi_end(&cx);
  PopActiveSnapshot();
  CommitTransactionCommand();
}

static void stop_all_workers() {
  for (int i = 0; i < nrunning; i++) TerminateBackgroundWorker(running[i].handle);
  for (int i = 0; i < nrunning; i++) (void)WaitForBackgroundWorkerShutdown(running[i].handle);
  // A worker releases its slot as it exits; one stopped before it started never does. Slot
  // generations are unique, so releasing an already released slot does nothing.
  for (int i = 0; i < nrunning; i++) release_slot(running[i].slot, running[i].slot_generation);
  nrunning = 0;
}

// Confirms the extension is installed; frees our entry and returns false if it is not (unless a
// start was requested meanwhile, in which case it looks again).
static bool confirm_extension(uint64 generation) {
  for (;;) {
    StartTransactionCommand();
    // No scheduler in a template database: it would keep CREATE DATABASE from copying it.
    bool present = OidIsValid(get_extension_oid("strata", true));
    HeapTuple tup = SearchSysCache1(DATABASEOID, ObjectIdGetDatum(my_db));
    if (HeapTupleIsValid(tup)) {
      if (reinterpret_cast<Form_pg_database>(GETSTRUCT(tup))->datistemplate) present = false;
      ReleaseSysCache(tup);
    }
    CommitTransactionCommand();
    SpinLockAcquire(&shared->mutex);
    DbEntry* e = find_db_locked(my_db);
    bool retry = false;
    if (present && e) {
      e->confirmed = true;
    } else if (e && e->generation != generation) {
      generation = e->generation;
      retry = true;
    } else if (e && !e->stop_requested) {
      e->in_use = false;
    }
    SpinLockRelease(&shared->mutex);
    if (retry) continue;
    // Either way the launcher may hand out another entry, or start another unconfirmed scheduler.
    wake_launcher();
    return present;
  }
}

// Why a due job did not get a worker.
enum class Blocked : uint8 { none, cap, no_bgworker };

// Leaves (returns true) if no change to the jobs committed since they were read (`seen`),
// recording when the launcher must start a scheduler again. With `no_jobs` (no scheduled job, none
// waiting) the database gives its entry back instead, unless a job worker of it still runs: the
// next change to its jobs asks for one again (docs/JOBS.md).
static bool leave_if_unchanged(uint64 seen, TimestampTz next_due, bool no_jobs) {
  bool leave = false, freed = false;
  SpinLockAcquire(&shared->mutex);
  DbEntry* e = find_db_locked(my_db);
  if (e != nullptr && e->changes == seen && !e->stop_requested) {
    e->next_due = next_due;
    e->clean_exit = true;
    leave = true;
    freed = no_jobs;
    for (int i = 0; i < shared->nslots && freed; i++)
      if (shared->slots[i].in_use && shared->slots[i].dboid == my_db) freed = false;
    if (freed) {
      e->in_use = false;
      e->scheduler_pid = 0;
      e->scheduler_latch = nullptr;
    }
  }
  SpinLockRelease(&shared->mutex);
  if (freed) wake_launcher();  // a database may be waiting for the entry
  return leave;
}

static void scheduler_loop() {
  MemoryContext loop_cxt = AllocSetContextCreate(TopMemoryContext, "strata scheduler", ALLOCSET_DEFAULT_SIZES);
  while (!scheduler_stop) {
    if (ConfigReloadPending) {
      ConfigReloadPending = false;
      ProcessConfigFile(PGC_SIGHUP);
    }
    MemoryContextReset(loop_cxt);

    // Changes committed from here on are either in the snapshot load_jobs takes or move
    // `changes` past `seen` (they bump it after they become visible); so are worker exits,
    // which reap_workers (after this) sees or which move `changes` too.
    SpinLockAcquire(&shared->mutex);
    DbEntry* self = find_db_locked(my_db);
    const uint64 seen = self ? self->changes : 0;
    const bool pressure = shared->pressure;
    SpinLockRelease(&shared->mutex);
    reap_workers();

    MemoryContext old_cxt = MemoryContextSwitchTo(loop_cxt);
    const int32* with_worker = running_job_set();
    MemoryContextSwitchTo(old_cxt);
    DueJob* jobs = nullptr;
    const int n = load_jobs(loop_cxt, &jobs);
    if (n < 0) {
      stop_all_workers();
      clear_waiting_jobs(my_db);
      SpinLockAcquire(&shared->mutex);
      DbEntry* e = find_db_locked(my_db);
      if (e && !e->stop_requested) e->in_use = false;
      SpinLockRelease(&shared->mutex);
      return;
    }

    TimestampTz now = GetCurrentTimestamp();
    TimestampTz next_due = DT_NOEND;  // earliest start of a job not running
    Blocked blocked = Blocked::none;
    clear_waiting_jobs(my_db);
    for (int i = 0; i < n && !scheduler_stop; i++) {
      const DueJob& j = jobs[i];
      // A running job's max_runtime may have been changed by alter_job since it started.
      for (int k = 0; k < nrunning; k++)
        if (running[k].job_id == j.id) running[k].max_runtime_usec = j.max_runtime_usec;
      if (!j.scheduled || is_running_here(j.id)) continue;
      if (j.next_start > now) {
        next_due = Min(next_due, j.next_start);
        continue;
      }
      // Running in a worker of an earlier scheduler: its exit brings us back.
      if (in_job_set(with_worker, j.id)) continue;
      if (blocked != Blocked::none || nrunning >= kMaxRunning) {
        if (blocked == Blocked::none) blocked = Blocked::cap;
        set_job_waiting(my_db, j.id);
        continue;
      }
      const char* sqlstate = nullptr;
      const char* message = nullptr;
      StartTransactionCommand();
      PushActiveSnapshot(GetTransactionSnapshot());
      const bool owner_ok = owner_can_run(j.owner, &sqlstate, &message);
      if (!owner_ok) {
        record_start(j.id, GetCurrentTimestamp());
        (void)record_finish(j.id, false, false, sqlstate, message, 0);
      }
      PopActiveSnapshot();
      CommitTransactionCommand();
      if (!owner_ok) continue;
      uint64 generation = 0;
      const int slot = reserve_slot(j.id, &generation);
      if (slot < 0) {
        // strata.max_background_workers jobs run (possibly in other databases): wait.
        blocked = Blocked::cap;
        set_job_waiting(my_db, j.id);
        continue;
      }
      pending_slot = slot;
      pending_generation = generation;
      const TimestampTz start = GetCurrentTimestamp();
      MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);  // the handle outlives this transaction
      BackgroundWorkerHandle* handle = start_worker(j.id, j.owner, slot, generation, j.max_runtime_usec);
      MemoryContextSwitchTo(old);
      if (handle == nullptr) {
        // No free background worker slot (max_worker_processes): not a failure of the job; it
        // waits, and this scheduler leaves below to free its own slot.
        release_slot(slot, generation);
        pending_slot = -1;
        blocked = Blocked::no_bgworker;
        set_job_waiting(my_db, j.id);
        continue;
      }
      pending_slot = -1;  // from here the slot is the worker's, or released by reap_workers
      running[nrunning++] = Running{j.id, j.owner, handle, start, j.max_runtime_usec, false, false, slot, generation, 0};
    }
    if (scheduler_stop) break;

    // Leave when nothing is due soon and no worker of ours runs (at once, running workers or
    // not, when other databases wait for room or when this scheduler's own slot is what a job
    // worker needs), once every worker it started has started (a worker registered but never
    // started would otherwise keep its job slot).
    now = GetCurrentTimestamp();
    bool all_started = true;
    for (int i = 0; i < nrunning; i++) {
      pid_t pid = 0;
      if (!running[i].seen_pid && GetBackgroundWorkerPid(running[i].handle, &pid) == BGWH_NOT_YET_STARTED)
        all_started = false;
    }
    const TimestampTz retry_at = now + kRetryUsec;
    TimestampTz leave_due = blocked != Blocked::none ? retry_at : next_due;
    leave_due = Min(leave_due, now + kMaxIdleUsec);
    bool leave = false;
    if (all_started) {
      if (blocked == Blocked::no_bgworker)
        leave = true;
      else if (blocked == Blocked::cap)
        leave = pressure;
      else if (pressure)
        leave = next_due > now;
      else  // its running workers' jobs are likely due again after they end: stay for them
        leave = nrunning == 0 && next_due > now + kIdleHorizonUsec;
    }
    const bool no_jobs = next_due == DT_NOEND && blocked == Blocked::none && nrunning == 0;
    if (leave && leave_if_unchanged(seen, leave_due, no_jobs)) return;  // our running workers go on
    if (leave) continue;  // the jobs changed meanwhile: look again

    int64 sleep_usec = 60 * INT64CONST(1000000);
    if (next_due != DT_NOEND) sleep_usec = Min(sleep_usec, next_due - now);
    if (blocked != Blocked::none || !all_started) sleep_usec = Min(sleep_usec, kRetryUsec);
    if (pressure) sleep_usec = Min(sleep_usec, kRetryUsec);

    // max_runtime: workers cancel their own runs; this is the backstop for a run that ignores
    // the cancellation and its termination.
    for (int i = 0; i < nrunning; i++) {
      Running& r = running[i];
      if (r.max_runtime_usec <= 0 || r.cancelled) continue;
      const int64 left = r.started + r.max_runtime_usec + kRuntimeGraceUsec - now;
      if (left <= 0) {
        r.cancelled = true;
        TerminateBackgroundWorker(r.handle);
      } else {
        sleep_usec = Min(sleep_usec, left);
      }
    }

    long timeout_ms = static_cast<long>((Max(sleep_usec, 0) + 999) / 1000);
    (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, timeout_ms, PG_WAIT_EXTENSION);
    ResetLatch(MyLatch);
    CHECK_FOR_INTERRUPTS();
  }
  stop_all_workers();
}

}  // namespace strata::jobs

STRATA_BGWORKER_MAIN(strata_jobs_scheduler_main) {
  using namespace strata::jobs;
  my_db = DatumGetObjectId(arg);
  in_scheduler = true;
  // Until the extension is confirmed SIGTERM is PostgreSQL's die(): connecting can wait on a lock
  // (a prepared transaction holding pg_extension, say), and such a wait must end on a fast
  // shutdown or when the launcher gives up on an unconfirmed scheduler (a FATAL exit: the launcher
  // retries after a pause).
  pqsignal(SIGTERM, die);
  pqsignal(SIGHUP, SignalHandlerForConfigReload);
  BackgroundWorkerUnblockSignals();

  // Claim the database's entry; leave if another scheduler has it or it is being dropped.
  uint64 generation = 0;
  const TimestampTz now = GetCurrentTimestamp();
  SpinLockAcquire(&shared->mutex);
  DbEntry* e = find_db_locked(my_db);
  bool ok = e && !e->stop_requested && e->scheduler_pid == 0;
  if (ok) {
    e->scheduler_pid = MyProcPid;
    e->scheduler_latch = MyLatch;
    generation = e->generation;
    // Until it leaves on its own, an exit means "start me again" (after a pause if it failed).
    e->clean_exit = false;
    e->next_due = now;
    e->no_scheduler = false;
  }
  SpinLockRelease(&shared->mutex);
  if (!ok) proc_exit(0);
  on_shmem_exit(scheduler_detach, 0);

  BackgroundWorkerInitializeConnectionByOid(my_db, InvalidOid, 0);
  pgstat_report_appname("strata job scheduler");
  if (!confirm_extension(generation)) proc_exit(0);
  pqsignal(SIGTERM, scheduler_sigterm);
  CHECK_FOR_INTERRUPTS();  // (a SIGTERM that came before)
  mark_interrupted_runs();
  scheduler_loop();
  if (scheduler_stop) {
    // Terminated (by a session that needs the database, or by hand): not a failure.
    SpinLockAcquire(&shared->mutex);
    e = find_db_locked(my_db);
    if (e != nullptr && e->scheduler_pid == MyProcPid) e->clean_exit = true;
    SpinLockRelease(&shared->mutex);
  }
  proc_exit(0);
}
