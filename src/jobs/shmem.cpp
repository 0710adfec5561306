// Background jobs: shared memory, the launcher's registration, and the handlers by which ordinary
// sessions start schedulers (CREATE EXTENSION), wake them (job changes) and make them leave
// (DROP DATABASE, DROP EXTENSION, ALTER EXTENSION UPDATE and other commands that need the
// database to themselves).
#include "jobs/jobs.hpp"

extern "C" {
#include <signal.h>

#include "access/xact.h"
#include "commands/dbcommands.h"
#include "commands/defrem.h"
#include "nodes/parsenodes.h"
#include "pgstat.h"
#include "storage/ipc.h"
#include "storage/lmgr.h"
#include "storage/shmem.h"
#include "tcop/utility.h"
#include "utils/guc.h"
#include "utils/wait_event.h"
}

namespace strata::jobs {

Shared* shared = nullptr;

// Whether this postmaster runs background jobs (strata preloaded, not under pg_upgrade).
static bool jobs_enabled = false;

// Shared, its job slots, then the database entries.
static Size entries_offset() {
  return MAXALIGN(add_size(offsetof(Shared, slots), mul_size(sizeof(JobSlot), max_worker_processes)));
}

static Size shared_size() { return add_size(entries_offset(), mul_size(sizeof(DbEntry), guc_max_job_databases)); }

void request_shmem() {
  if (jobs_enabled) RequestAddinShmemSpace(shared_size());
}

void startup_shmem() {
  if (!jobs_enabled) return;
  bool found = false;
  LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
  shared = static_cast<Shared*>(ShmemInitStruct("strata jobs", shared_size(), &found));
  if (!found) {
    memset(shared, 0, shared_size());
    SpinLockInit(&shared->mutex);
    shared->nslots = max_worker_processes;
    shared->ndbs = guc_max_job_databases;
    shared->dbs = reinterpret_cast<DbEntry*>(reinterpret_cast<char*>(shared) + entries_offset());
    shared->next_generation = 1;
  }
  LWLockRelease(AddinShmemInitLock);
}

DbEntry* find_db_locked(Oid dboid) {
  for (int i = 0; i < shared->ndbs; i++)
    if (shared->dbs[i].in_use && shared->dbs[i].dboid == dboid) return &shared->dbs[i];
  return nullptr;
}

DbEntry* add_db_locked(Oid dboid, TimestampTz now) {
  for (int i = 0; i < shared->ndbs; i++) {
    DbEntry* e = &shared->dbs[i];
    if (e->in_use) continue;
    memset(e, 0, sizeof *e);
    e->dboid = dboid;
    e->in_use = true;
    // No scheduler has failed on this entry (the launcher may still hold the handle of one that
    // left an earlier entry of the same database at this index: that one did not fail).
    e->clean_exit = true;
    e->placed_at = now;
    return e;
  }
  return nullptr;
}

// Remembers a database that found no free entry, for the launcher (mutex held).
static void add_unplaced_locked(Oid dboid) {
  int free_at = -1;
  for (int i = 0; i < kMaxUnplaced; i++) {
    if (shared->unplaced[i] == dboid) return;
    if (shared->unplaced[i] == InvalidOid && free_at < 0) free_at = i;
  }
  if (free_at >= 0)
    shared->unplaced[free_at] = dboid;
  else
    shared->rescans++;  // the launcher finds it by scanning pg_database again
}

static bool is_unplaced_locked(Oid dboid) {
  for (int i = 0; i < kMaxUnplaced; i++)
    if (shared->unplaced[i] == dboid) return true;
  return false;
}

void wake_launcher() {
  if (shared == nullptr) return;
  SpinLockAcquire(&shared->mutex);
  Latch* latch = shared->launcher_latch;
  SpinLockRelease(&shared->mutex);
  if (latch) SetLatch(latch);
}

bool request_scheduler(Oid dboid) {
  if (shared == nullptr) return false;
  bool ok = true;
  const TimestampTz now = GetCurrentTimestamp();
  SpinLockAcquire(&shared->mutex);
  DbEntry* e = find_db_locked(dboid);
  if (e == nullptr) e = add_db_locked(dboid, now);
  if (e != nullptr) {
    e->generation = shared->next_generation++;
    e->next_due = now;
  } else {
    ok = false;
    add_unplaced_locked(dboid);
  }
  const int ndbs = shared->ndbs;
  SpinLockRelease(&shared->mutex);
  if (!ok)
    ereport(WARNING, (errmsg("too many databases with strata jobs: the jobs of database %u wait for a scheduler",
                             dboid),
                      errdetail("All %d entries of strata.max_job_databases are held by databases with jobs; this "
                                "database gets one as soon as one is given back.",
                                ndbs),
                      errhint("Raise strata.max_job_databases (takes a server restart).")));
  wake_launcher();
  return ok;
}

bool in_scheduler = false;

void note_jobs_changed(Oid dboid) {
  if (shared == nullptr || !OidIsValid(dboid)) return;
  const TimestampTz now = GetCurrentTimestamp();
  SpinLockAcquire(&shared->mutex);
  DbEntry* e = find_db_locked(dboid);
  Latch* latch = nullptr;
  if (e != nullptr) {
    // Read by a scheduler deciding to leave (it stays if this moved since it read the jobs),
    // and by the launcher when none runs.
    e->changes++;
    // Due now, but not before a database that has waited longer (the launcher starts the
    // earliest due first).
    e->next_due = Min(e->next_due, now);
    latch = e->scheduler_latch;
  }
  Latch* launcher = shared->launcher_latch;
  SpinLockRelease(&shared->mutex);
  if (e == nullptr) {
    // No entry (the database had no jobs, or the table was full): ask for one.
    (void)request_scheduler(dboid);
    return;
  }
  if (latch) SetLatch(latch);
  if (launcher) SetLatch(launcher);
}

void set_job_waiting(Oid dboid, int32 job_id) {
  if (shared == nullptr) return;
  SpinLockAcquire(&shared->mutex);
  int free_at = -1;
  bool found = false;
  for (int i = 0; i < kMaxWaiting && !found; i++) {
    const WaitingJob& w = shared->waiting[i];
    if (w.job_id != 0 && w.dboid == dboid && w.job_id == job_id) found = true;
    if (w.job_id == 0 && free_at < 0) free_at = i;
  }
  if (!found && free_at >= 0) shared->waiting[free_at] = WaitingJob{dboid, job_id};
  SpinLockRelease(&shared->mutex);
}

void clear_waiting_jobs(Oid dboid) {
  if (shared == nullptr) return;
  SpinLockAcquire(&shared->mutex);
  for (int i = 0; i < kMaxWaiting; i++)
    if (shared->waiting[i].dboid == dboid) shared->waiting[i] = WaitingJob{InvalidOid, 0};
  SpinLockRelease(&shared->mutex);
}

void job_lock_tag(LOCKTAG* tag, int32 job_id) {
  // Two-key advisory lock (class 2) in this database: key1 spells "strj", key2 is the job.
  SET_LOCKTAG_ADVISORY(*tag, MyDatabaseId, 0x7374726a, static_cast<uint32>(job_id), 2);
}

// ---- Actions taken when the current transaction ends ----------------------------------

enum class Pending : uint8 { none, start, resume, forget };
struct PendingDb {
  Oid dboid;
  Pending on_commit;
  // The generation of an entry stop_scheduler took for a database that had none (0: none), only
  // to keep schedulers away during the command: given back when it ends, unless a start was
  // asked for meanwhile.
  uint64 reserved;
};
static PendingDb pending[8];
static int npending = 0;
static bool wake_on_commit = false;
static int32 terminate_jobs[16];
static int nterminate = 0;

void terminate_job_on_commit(int32 job_id) {
  if (shared == nullptr) return;
  if (nterminate < static_cast<int>(lengthof(terminate_jobs))) terminate_jobs[nterminate++] = job_id;
}

static void terminate_pending_jobs() {
  for (int k = 0; k < nterminate; k++) {
    pid_t pid = 0;
    SpinLockAcquire(&shared->mutex);
    for (int i = 0; i < shared->nslots && pid == 0; i++) {
      const JobSlot& s = shared->slots[i];
      if (s.in_use && s.dboid == MyDatabaseId && s.job_id == terminate_jobs[k]) pid = s.pid;
    }
    SpinLockRelease(&shared->mutex);
    if (pid != 0) kill(pid, SIGTERM);
  }
}

static PendingDb* add_pending(Oid dboid, Pending on_commit) {
  for (int i = 0; i < npending; i++)
    if (pending[i].dboid == dboid) {
      // Of "start" (CREATE EXTENSION) and "forget" (a drop) the later wins; "resume" never
      // overrides either.
      if (on_commit == Pending::forget || pending[i].on_commit == Pending::none)
        pending[i].on_commit = on_commit;
      else if (on_commit == Pending::start)
        pending[i].on_commit = Pending::start;
      return &pending[i];
    }
  if (npending >= static_cast<int>(lengthof(pending))) return nullptr;
  pending[npending] = PendingDb{dboid, on_commit, 0};
  return &pending[npending++];
}

static void clear_stop(const PendingDb& p) {
  SpinLockAcquire(&shared->mutex);
  DbEntry* e = find_db_locked(p.dboid);
  if (e && p.reserved != 0 && e->generation == p.reserved && e->next_due == DT_NOEND && e->scheduler_pid == 0)
    e->in_use = false;  // taken by stop_scheduler and not asked for since
  else if (e)
    e->stop_requested = false;
  SpinLockRelease(&shared->mutex);
}

void on_xact_event(XactEvent event) {
  if (shared == nullptr) return;
  if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT) {
    for (int i = 0; i < npending; i++) {
      const PendingDb& p = pending[i];
      switch (p.on_commit) {
        case Pending::forget: {
          SpinLockAcquire(&shared->mutex);
          DbEntry* e = find_db_locked(p.dboid);
          if (e) e->in_use = false;
          for (Oid& u : shared->unplaced)
            if (u == p.dboid) u = InvalidOid;
          SpinLockRelease(&shared->mutex);
          clear_waiting_jobs(p.dboid);
          wake_launcher();  // a database may be waiting for the entry
          break;
        }
        case Pending::resume:
          clear_stop(p);
          wake_launcher();
          break;
        case Pending::start:
          clear_stop(p);
          request_scheduler(p.dboid);
          break;
        case Pending::none:
          break;
      }
    }
    terminate_pending_jobs();
    // A scheduler knows about its own writes.
    if (wake_on_commit && !in_scheduler) note_jobs_changed(MyDatabaseId);
  } else if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT ||
             event == XACT_EVENT_PREPARE) {
    for (int i = 0; i < npending; i++) clear_stop(pending[i]);
    if (npending > 0) wake_launcher();
  } else {
    return;
  }
  npending = 0;
  nterminate = 0;
  wake_on_commit = false;
}

// Makes the scheduler of `dboid` (and its job workers) leave, and waits until they have.
static void stop_scheduler(Oid dboid, Pending on_commit) {
  if (!OidIsValid(dboid)) return;
  PendingDb* p = add_pending(dboid, on_commit);
  const TimestampTz now = GetCurrentTimestamp();
  SpinLockAcquire(&shared->mutex);
  DbEntry* e = find_db_locked(dboid);
  if (e == nullptr && p != nullptr && (e = add_db_locked(dboid, now)) != nullptr) {
    // A database without jobs has no entry: take one for the command, so that no scheduler
    // (a job change committed meanwhile, the launcher's scan) connects to it meanwhile.
    e->next_due = DT_NOEND;
    e->generation = p->reserved = shared->next_generation++;
  }
  pid_t pid = 0;
  if (e) {
    e->stop_requested = true;
    pid = e->scheduler_pid;
  }
  SpinLockRelease(&shared->mutex);
  if (pid != 0) kill(pid, SIGTERM);
  // Bounded wait: the scheduler stops its job workers, then exits. Job workers that outlived
  // the scheduler that started them (it left while they ran) are stopped here; one that has not
  // started yet sees stop_requested and leaves at once.
  for (int waited_ms = 0; waited_ms < 30000; waited_ms += 10) {
    bool busy = false;
    pid_t workers[64];
    int nworkers = 0;
    SpinLockAcquire(&shared->mutex);
    e = find_db_locked(dboid);
    if (e && e->scheduler_pid != 0) busy = true;
    for (int i = 0; i < shared->nslots; i++)
      if (shared->slots[i].in_use && shared->slots[i].dboid == dboid && shared->slots[i].pid != 0) {
        busy = true;
        if (nworkers < static_cast<int>(lengthof(workers))) workers[nworkers++] = shared->slots[i].pid;
      }
    SpinLockRelease(&shared->mutex);
    if (!busy) return;
    if (waited_ms % 500 == 0)
      for (int i = 0; i < nworkers; i++) kill(workers[i], SIGTERM);
    (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 10, PG_WAIT_EXTENSION);
    ResetLatch(MyLatch);
    CHECK_FOR_INTERRUPTS();
  }
  ereport(WARNING, (errmsg("strata job scheduler of database %u did not stop within 30 seconds", dboid)));
}

static bool names_strata(List* objects) {
  ListCell* lc;
  foreach (lc, objects) {
    Node* n = static_cast<Node*>(lfirst(lc));
    if (IsA(n, String) && strcmp(strVal(n), "strata") == 0) return true;
  }
  return false;
}

static bool has_option(List* options, const char* name) {
  ListCell* lc;
  foreach (lc, options) {
    DefElem* d = static_cast<DefElem*>(lfirst(lc));
    if (strcmp(d->defname, name) == 0) return true;
  }
  return false;
}

static char* option_string(List* options, const char* name) {
  ListCell* lc;
  foreach (lc, options) {
    DefElem* d = static_cast<DefElem*>(lfirst(lc));
    if (strcmp(d->defname, name) == 0 && d->arg != nullptr) return defGetString(d);
  }
  return nullptr;
}

// Whether rv names one of the job tables (pg_dump schema-qualifies it).
static bool is_job_table(const RangeVar* rv) {
  return rv != nullptr && (rv->schemaname == nullptr || strcmp(rv->schemaname, "_strata_catalog") == 0) &&
         (strcmp(rv->relname, "bgw_job") == 0 || strcmp(rv->relname, "bgw_job_stat") == 0);
}

// Commands that need a database to themselves, or that remove or replace the extension, make
// the scheduler leave first. A COPY into the job tables, or an ALTER TABLE of them, counts as a
// change to the jobs even when their triggers are disabled (pg_restore --disable-triggers
// disables them around the COPY and enables them again with ALTER TABLE). This handler also
// acts for databases other than the current one, so it does not wait for extension_is_active().
void wrap_utility(const pg::UtilityCall* call) {
  Node* stmt = call->pstmt->utilityStmt;
  if (shared != nullptr) {
    switch (nodeTag(stmt)) {
      case T_CopyStmt:
        if (castNode(CopyStmt, stmt)->is_from && is_job_table(castNode(CopyStmt, stmt)->relation))
          wake_on_commit = true;
        break;
      case T_AlterTableStmt:
        if (is_job_table(castNode(AlterTableStmt, stmt)->relation)) wake_on_commit = true;
        break;
      case T_DropdbStmt:
        stop_scheduler(get_database_oid(castNode(DropdbStmt, stmt)->dbname, true), Pending::forget);
        break;
      case T_DropStmt: {
        DropStmt* d = castNode(DropStmt, stmt);
        if (d->removeType == OBJECT_EXTENSION && names_strata(d->objects))
          stop_scheduler(MyDatabaseId, Pending::forget);
        break;
      }
      case T_AlterExtensionStmt:
        if (strcmp(castNode(AlterExtensionStmt, stmt)->extname, "strata") == 0)
          stop_scheduler(MyDatabaseId, Pending::resume);
        break;
      case T_RenameStmt: {
        RenameStmt* r = castNode(RenameStmt, stmt);
        if (r->renameType == OBJECT_DATABASE)
          stop_scheduler(get_database_oid(r->subname, true), Pending::resume);
        break;
      }
      case T_AlterDatabaseStmt: {
        AlterDatabaseStmt* a = castNode(AlterDatabaseStmt, stmt);
        if (has_option(a->options, "tablespace"))
          stop_scheduler(get_database_oid(a->dbname, true), Pending::resume);
        break;
      }
      case T_CreatedbStmt: {
        // The template (template1 unless named) must have no other connections.
        const char* tmpl = option_string(castNode(CreatedbStmt, stmt)->options, "template");
        stop_scheduler(get_database_oid(tmpl ? tmpl : "template1", true), Pending::resume);
        break;
      }
      default:
        break;
    }
  }
  pg::utility_proceed(call);
  // A database copied from a template that has strata gets a scheduler too (it exits at once
  // if the template had no strata).
  if (shared != nullptr && IsA(stmt, CreatedbStmt))
    add_pending(get_database_oid(castNode(CreatedbStmt, stmt)->dbname, true), Pending::start);
}

static void register_launcher() {
  BackgroundWorker w;
  memset(&w, 0, sizeof w);
  w.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
  w.bgw_start_time = BgWorkerStart_RecoveryFinished;
  w.bgw_restart_time = 2;
  strlcpy(w.bgw_library_name, "strata", BGW_MAXLEN);
  strlcpy(w.bgw_function_name, "strata_jobs_launcher_main", BGW_MAXLEN);
  strlcpy(w.bgw_name, "strata job launcher", BGW_MAXLEN);
  strlcpy(w.bgw_type, "strata job launcher", BGW_MAXLEN);
  RegisterBackgroundWorker(&w);
}

}  // namespace strata::jobs

namespace strata {

int guc_max_background_workers = 8;
int guc_max_job_databases = 512;

void jobs_init() {
  // Jobs need the preload (shared memory, the launcher); none run during pg_upgrade.
  if (!process_shared_preload_libraries_in_progress || IsBinaryUpgrade) return;
  jobs::jobs_enabled = true;
  jobs::register_launcher();
}

}  // namespace strata

// Trigger on the job tables: wake this database's scheduler when the transaction commits.
STRATA_FUNCTION(strata_jobs_changed) {
  strata::jobs::wake_on_commit = true;
  return PointerGetDatum(nullptr);
}

// _strata_internal.job_waiting(job_id, next_start): the job is due but waits for a worker (or for
// room to start this database's scheduler).
STRATA_FUNCTION(strata_job_waiting) {
  using namespace strata::jobs;
  if (shared == nullptr || PG_ARGISNULL(0)) PG_RETURN_BOOL(false);
  const int32 job_id = PG_GETARG_INT32(0);
  const bool due = !PG_ARGISNULL(1) && PG_GETARG_TIMESTAMPTZ(1) <= GetCurrentTimestamp();
  bool waiting = false;
  SpinLockAcquire(&shared->mutex);
  for (int i = 0; i < kMaxWaiting && !waiting; i++)
    if (shared->waiting[i].job_id == job_id && shared->waiting[i].dboid == MyDatabaseId) waiting = true;
  const DbEntry* e = find_db_locked(MyDatabaseId);
  if (due && e != nullptr && e->no_scheduler && e->scheduler_pid == 0) waiting = true;
  if (due && e == nullptr && is_unplaced_locked(MyDatabaseId)) waiting = true;  // no free entry yet
  SpinLockRelease(&shared->mutex);
  PG_RETURN_BOOL(waiting);
}

// Called by the install script: start this database's scheduler once CREATE EXTENSION commits.
STRATA_FUNCTION(strata_jobs_start_scheduler) {
  if (strata::jobs::shared != nullptr) strata::jobs::add_pending(MyDatabaseId, strata::jobs::Pending::start);
  PG_RETURN_VOID();
}
