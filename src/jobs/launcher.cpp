// Background jobs: the launcher, a static background worker that starts the scheduler of each
// database with strata installed when a job there is due. It connects to no database: at
// startup it lists pg_database (a shared catalog) and lets each database's scheduler check for
// the extension; afterwards it keeps, in shared memory, when each database's scheduler must run
// next (schedulers record it as they leave; committed job changes and job worker exits set it to
// now), and sleeps until the earliest of those or a wake-up. Schedulers hold a background worker
// slot only while jobs are due, so the slots in use follow the jobs due, not the databases; when
// slots are short, schedulers are started earliest-due first and leave as soon as they have
// started their due jobs.
#include "jobs/jobs.hpp"

extern "C" {
#include <signal.h>

#include "access/heapam.h"
#include "access/tableam.h"
#include "catalog/pg_database.h"
#include "pgstat.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "tcop/tcopprot.h"
#include "utils/wait_event.h"
}

namespace strata::jobs {

static volatile sig_atomic_t launcher_stop = false;

static void launcher_sigterm(SIGNAL_ARGS) {
  int save_errno = errno;
  launcher_stop = true;
  SetLatch(MyLatch);
  errno = save_errno;
}

static void launcher_detach(int, Datum) {
  SpinLockAcquire(&shared->mutex);
  if (shared->launcher_pid == MyProcPid) {
    shared->launcher_pid = 0;
    shared->launcher_latch = nullptr;
  }
  SpinLockRelease(&shared->mutex);
}

// The databases of a scan of pg_database not yet given an entry. The launcher scans at startup
// (every database that accepts connections and is not a template: their schedulers give the entry
// back at once where strata is not installed or no job is scheduled), and again when a database
// found no free entry and no room in shared->unplaced either. The scan hands out entries a few at
// a time, as they are free, so a scan of more databases than entries is finished, not dropped.
struct DatabaseScan {
  Oid* dbs;  // in TopMemoryContext
  int n;
  int next;
  uint64 rescans;  // shared->rescans when it was read
};

// Entries the scan has handed out whose scheduler has not yet confirmed strata, at most; an entry
// counts until its scheduler starts and for kConfirmGraceUsec after (one whose scheduler never
// confirms, because it fails to connect or waits on a lock, does not stall the scan; one waiting
// for a worker slot does not let the scan place more).
static constexpr int kMaxScanUnconfirmed = 8;

// Whether an unconfirmed entry or scheduler since `since` still counts against a cap at `now`.
static bool within_grace(TimestampTz since, TimestampTz now) { return now - since < kConfirmGraceUsec; }

static void read_databases(DatabaseScan* scan) {
  uint64 rescans;
  SpinLockAcquire(&shared->mutex);
  rescans = shared->rescans;
  SpinLockRelease(&shared->mutex);
  int cap = 64, n = 0;
  Oid* dbs = static_cast<Oid*>(MemoryContextAlloc(TopMemoryContext, sizeof(Oid) * cap));
  StartTransactionCommand();
  Relation rel = table_open(DatabaseRelationId, AccessShareLock);
  TableScanDesc ts = table_beginscan_catalog(rel, 0, nullptr);
  HeapTuple tup;
  while ((tup = heap_getnext(ts, ForwardScanDirection)) != nullptr) {
    Form_pg_database db = reinterpret_cast<Form_pg_database>(GETSTRUCT(tup));
    if (!db->datallowconn || db->datistemplate) continue;
    if (n == cap) dbs = static_cast<Oid*>(repalloc(dbs, sizeof(Oid) * (cap *= 2)));
    dbs[n++] = db->oid;
  }
  table_endscan(ts);
  table_close(rel, AccessShareLock);
  CommitTransactionCommand();
  if (scan->dbs != nullptr) pfree(scan->dbs);
  *scan = DatabaseScan{dbs, n, 0, rescans};
}

enum class Placed : uint8 { already, placed, full };

// Gives dboid an entry, due now, unless it has one. One database per hold of the mutex: each
// search walks the whole table.
static Placed place_database(Oid dboid) {
  const TimestampTz now = GetCurrentTimestamp();
  Placed result = Placed::already;
  SpinLockAcquire(&shared->mutex);
  if (find_db_locked(dboid) == nullptr) {
    DbEntry* e = add_db_locked(dboid, now);
    if (e != nullptr) {
      e->generation = shared->next_generation++;
      e->next_due = now;
      result = Placed::placed;
    } else {
      result = Placed::full;
    }
  }
  SpinLockRelease(&shared->mutex);
  return result;
}

// Gives free entries to the databases waiting for one: first those that found none (shared->unplaced:
// they have strata and a job change), then the scan's. Returns whether any still wait. The
// launcher started the scheduler of entry i last at started_at[i], for database started_db[i].
static bool place_databases(DatabaseScan* scan, const TimestampTz* started_at, const Oid* started_db) {
  for (;;) {
    bool waiting = false;
    int unconfirmed = 0;
    const TimestampTz now = GetCurrentTimestamp();
    SpinLockAcquire(&shared->mutex);
    for (int i = 0; i < shared->ndbs; i++) {
      const DbEntry& e = shared->dbs[i];
      if (!e.in_use || e.confirmed) continue;
      const bool started = started_db[i] == e.dboid && started_at[i] >= e.placed_at;
      if (!started || within_grace(started_at[i], now)) unconfirmed++;
    }
    SpinLockRelease(&shared->mutex);
    for (int k = 0; k < kMaxUnplaced && !waiting; k++) {
      SpinLockAcquire(&shared->mutex);
      const Oid dboid = shared->unplaced[k];
      SpinLockRelease(&shared->mutex);
      if (dboid == InvalidOid) continue;
      if (place_database(dboid) == Placed::full) {
        waiting = true;
      } else {
        SpinLockAcquire(&shared->mutex);
        if (shared->unplaced[k] == dboid) shared->unplaced[k] = InvalidOid;
        SpinLockRelease(&shared->mutex);
      }
    }
    for (; scan->next < scan->n && unconfirmed < kMaxScanUnconfirmed; scan->next++) {
      const Placed placed = place_database(scan->dbs[scan->next]);
      if (placed == Placed::full) break;
      if (placed == Placed::placed) unconfirmed++;
    }
    if (scan->next < scan->n) waiting = true;
    SpinLockAcquire(&shared->mutex);
    const bool rescan = !waiting && shared->rescans != scan->rescans;
    SpinLockRelease(&shared->mutex);
    if (!rescan) return waiting;
    read_databases(scan);
  }
}

static BackgroundWorkerHandle* start_scheduler(Oid dboid) {
  char name[BGW_MAXLEN];
  snprintf(name, sizeof name, "strata job scheduler for database %u", dboid);
  return start_dynamic_worker("strata_jobs_scheduler_main", name, "strata job scheduler",
                              ObjectIdGetDatum(dboid), nullptr, 0);
}

// Whether a database still exists (after its scheduler failed: a dropped database's entry is
// freed rather than retried forever).
static bool database_exists(Oid dboid) {
  bool found = false;
  StartTransactionCommand();
  Relation rel = table_open(DatabaseRelationId, AccessShareLock);
  TableScanDesc scan = table_beginscan_catalog(rel, 0, nullptr);
  HeapTuple tup;
  while (!found && (tup = heap_getnext(scan, ForwardScanDirection)) != nullptr)
    if (reinterpret_cast<Form_pg_database>(GETSTRUCT(tup))->oid == dboid) found = true;
  table_endscan(scan);
  table_close(rel, AccessShareLock);
  CommitTransactionCommand();
  return found;
}

// At most this many schedulers run at once, so that job workers always find slots: half of
// max_worker_processes, less the launcher.
static int max_schedulers() { return Max(1, (max_worker_processes - 1) / 2); }

struct Candidate {
  int index;
  TimestampTz due;
};

static int compare_candidates(const void* a, const void* b) {
  const TimestampTz x = static_cast<const Candidate*>(a)->due, y = static_cast<const Candidate*>(b)->due;
  return x < y ? -1 : x > y ? 1 : 0;
}

}  // namespace strata::jobs

STRATA_BGWORKER_MAIN(strata_jobs_launcher_main) {
  using namespace strata::jobs;
  pqsignal(SIGTERM, launcher_sigterm);
  pqsignal(SIGHUP, SignalHandlerForConfigReload);
  BackgroundWorkerUnblockSignals();

  SpinLockAcquire(&shared->mutex);
  shared->launcher_pid = MyProcPid;
  shared->launcher_latch = MyLatch;
  SpinLockRelease(&shared->mutex);
  on_shmem_exit(launcher_detach, 0);

  BackgroundWorkerInitializeConnection(nullptr, nullptr, 0);
  pgstat_report_appname("strata job launcher");
  DatabaseScan scan{};
  read_databases(&scan);

  // Handles of the schedulers this launcher started, by entry index. A scheduler that leaves
  // on its own is started again at its database's next due time; one that fails is started
  // again after a pause if it failed fast.
  const int ndbs = shared->ndbs;
  auto* handles = static_cast<BackgroundWorkerHandle**>(
      MemoryContextAllocZero(TopMemoryContext, sizeof(BackgroundWorkerHandle*) * ndbs));
  auto* started_at = static_cast<TimestampTz*>(MemoryContextAllocZero(TopMemoryContext, sizeof(TimestampTz) * ndbs));
  auto* started_db = static_cast<Oid*>(MemoryContextAllocZero(TopMemoryContext, sizeof(Oid) * ndbs));
  // Failed schedulers in a row that stopped within 10 s.
  auto* quick_exits = static_cast<int*>(MemoryContextAllocZero(TopMemoryContext, sizeof(int) * ndbs));
  // The pause after a failure counts from here: the start, or when the launcher terminated a
  // scheduler that had not confirmed within kConfirmGraceUsec (`gave_up`).
  auto* backoff_from = static_cast<TimestampTz*>(MemoryContextAllocZero(TopMemoryContext, sizeof(TimestampTz) * ndbs));
  auto* gave_up = static_cast<bool*>(MemoryContextAllocZero(TopMemoryContext, sizeof(bool) * ndbs));
  auto* stuck = static_cast<int*>(MemoryContextAllocZero(TopMemoryContext, sizeof(int) * ndbs));
  auto* candidates = static_cast<Candidate*>(MemoryContextAllocZero(TopMemoryContext, sizeof(Candidate) * ndbs));
  auto* wake = static_cast<Latch**>(MemoryContextAllocZero(TopMemoryContext, sizeof(Latch*) * ndbs));
  // Schedulers this launcher did not start (a launcher before it did, which was terminated and
  // started again): the pid of the unconfirmed one seen on entry i, and since when. One that does
  // not confirm within kConfirmGraceUsec of being seen is terminated as the launcher's own are:
  // no handle reports its end here, and without this it held its worker slot and its entry for
  // as long as its wait lasted (test/shell/jobs_restart.sh).
  auto* adopted_pid = static_cast<pid_t*>(MemoryContextAllocZero(TopMemoryContext, sizeof(pid_t) * ndbs));
  auto* adopted_since = static_cast<TimestampTz*>(MemoryContextAllocZero(TopMemoryContext, sizeof(TimestampTz) * ndbs));
  auto* adopted_stuck = static_cast<pid_t*>(MemoryContextAllocZero(TopMemoryContext, sizeof(pid_t) * ndbs));
  auto* adopted_stuck_db = static_cast<int*>(MemoryContextAllocZero(TopMemoryContext, sizeof(int) * ndbs));
  constexpr int kMaxUnconfirmed = 4;
  TimestampTz no_slot_until = 0;  // a scheduler could not be registered: wait a little

  while (!launcher_stop) {
    if (ConfigReloadPending) {
      ConfigReloadPending = false;
      ProcessConfigFile(PGC_SIGHUP);
    }
    const TimestampTz now = GetCurrentTimestamp();
    for (int i = 0; i < ndbs; i++) {
      if (handles[i] == nullptr) continue;
      pid_t pid;
      if (GetBackgroundWorkerPid(handles[i], &pid) != BGWH_STOPPED) continue;
      pfree(handles[i]);
      handles[i] = nullptr;
      SpinLockAcquire(&shared->mutex);
      DbEntry& e = shared->dbs[i];
      const bool failed = e.in_use && e.dboid == started_db[i] && !e.clean_exit && e.scheduler_pid == 0;
      SpinLockRelease(&shared->mutex);
      if (!failed) {
        quick_exits[i] = 0;
      } else if (gave_up[i]) {
        quick_exits[i] = Min(quick_exits[i] + 1, 6);
        backoff_from[i] = now;
      } else {
        quick_exits[i] = TimestampDifferenceExceeds(started_at[i], now, 10000) ? 0 : Min(quick_exits[i] + 1, 6);
        if (!database_exists(started_db[i])) {
          SpinLockAcquire(&shared->mutex);
          if (e.in_use && e.dboid == started_db[i] && e.scheduler_pid == 0) e.in_use = false;
          SpinLockRelease(&shared->mutex);
        }
      }
    }

    // Databases waiting for an entry get the free ones.
    const bool unplaced = place_databases(&scan, started_at, started_db);

    // Databases due now without a scheduler, and the next time one will be.
    long timeout_ms = unplaced ? 1000 : -1;
    int ncandidates = 0, running = 0, unconfirmed = 0, job_workers = 0, nstuck = 0, nadopted_stuck = 0;
    SpinLockAcquire(&shared->mutex);
    for (int i = 0; i < shared->nslots; i++)
      if (shared->slots[i].in_use) job_workers++;
    for (int i = 0; i < ndbs; i++) {
      const DbEntry& e = shared->dbs[i];
      if (handles[i] != nullptr) {
        running++;
        if (e.in_use && !e.confirmed && e.dboid == started_db[i]) {
          if (within_grace(started_at[i], now)) {
            unconfirmed++;
            const long ms = static_cast<long>((started_at[i] + kConfirmGraceUsec - now + 999) / 1000);
            timeout_ms = timeout_ms < 0 ? ms : Min(timeout_ms, ms);
          } else if (!gave_up[i]) {
            stuck[nstuck++] = i;
          }
        }
        continue;
      }
      if (e.in_use && e.scheduler_pid != 0 && !e.confirmed) {
        if (adopted_pid[i] != e.scheduler_pid) {
          adopted_pid[i] = e.scheduler_pid;
          adopted_since[i] = now;
        }
        if (within_grace(adopted_since[i], now)) {
          const long ms = static_cast<long>((adopted_since[i] + kConfirmGraceUsec - now + 999) / 1000);
          timeout_ms = timeout_ms < 0 ? ms : Min(timeout_ms, ms);
        } else {
          adopted_stuck_db[nadopted_stuck] = i;
          adopted_stuck[nadopted_stuck++] = e.scheduler_pid;
          adopted_since[i] = now;  // (signalled again after another grace if it is still there)
        }
      }
      if (!e.in_use || e.stop_requested || e.scheduler_pid != 0) continue;
      if (started_db[i] != e.dboid) quick_exits[i] = 0;
      TimestampTz due = e.next_due;
      // A scheduler that keeps failing soon after it starts (it cannot connect, say) is
      // started again after 1, 2, 4, ... 64 seconds.
      if (quick_exits[i] > 0 && backoff_from[i] != 0)
        due = Max(due, backoff_from[i] + (INT64CONST(1000) << (quick_exits[i] - 1)) * 1000);
      if (due <= now) {
        candidates[ncandidates++] = Candidate{i, due};
      } else if (due != DT_NOEND) {
        const long ms = static_cast<long>(Min((due - now + 999) / 1000, INT64CONST(3600000)));
        timeout_ms = timeout_ms < 0 ? ms : Min(timeout_ms, ms);
      }
    }
    SpinLockRelease(&shared->mutex);
    // A scheduler that has not confirmed strata within kConfirmGraceUsec (it waits on a lock while
    // connecting, say) is terminated: it would hold its slot for good. It is started again after a
    // pause, as after a failure.
    for (int k = 0; k < nstuck; k++) {
      const int i = stuck[k];
      gave_up[i] = true;
      TerminateBackgroundWorker(handles[i]);
    }
    // (an unconfirmed scheduler's SIGTERM is die(): it leaves, and is started again as a candidate.
    // Signalled under the mutex, after checking again that entry i still has that pid unconfirmed:
    // the scheduler confirms, and clears its pid when it leaves, under the same mutex, so neither a
    // scheduler that confirmed meanwhile nor a reused pid gets it; kill() is one system call.)
    for (int k = 0; k < nadopted_stuck; k++) {
      const int i = adopted_stuck_db[k];
      SpinLockAcquire(&shared->mutex);
      const DbEntry& e = shared->dbs[i];
      if (e.in_use && e.scheduler_pid == adopted_stuck[k] && !e.confirmed) (void)kill(adopted_stuck[k], SIGTERM);
      SpinLockRelease(&shared->mutex);
    }

    // Earliest due first; stop when there is no room (a job worker must always find a slot). A
    // database not yet confirmed waits while kMaxUnconfirmed schedulers of such databases started
    // within kConfirmGraceUsec have not confirmed; confirmed ones start meanwhile. Candidates
    // left waiting are moved to the end of the list (they count as not started).
    qsort(candidates, ncandidates, sizeof(Candidate), compare_candidates);
    int started = 0;
    for (int k = 0; k < ncandidates; k++) {
      const int i = candidates[k].index;
      if (running >= max_schedulers() || 1 + running + job_workers + 2 > max_worker_processes || now < no_slot_until)
        break;
      SpinLockAcquire(&shared->mutex);
      const Oid dboid = shared->dbs[i].dboid;
      const bool confirmed = shared->dbs[i].confirmed;
      SpinLockRelease(&shared->mutex);
      if (!confirmed && unconfirmed >= kMaxUnconfirmed) continue;
      handles[i] = start_scheduler(dboid);
      // (the current time: the scan's count compares it with when the entry was placed)
      started_at[i] = backoff_from[i] = GetCurrentTimestamp();
      started_db[i] = dboid;
      gave_up[i] = false;
      if (handles[i] == nullptr) {
        no_slot_until = now + 1000 * INT64CONST(1000);  // no free worker slot
        break;
      }
      // (started candidates go to the front: those from `started` on wait)
      const Candidate c = candidates[k];
      candidates[k] = candidates[started];
      candidates[started++] = c;
      running++;
      if (!confirmed) unconfirmed++;
    }
    // Databases left waiting: running schedulers leave as soon as their due jobs have started,
    // and their jobs show as waiting; look again when anything ends, or within a second.
    const bool pressure = started < ncandidates;
    int nwake = 0;
    SpinLockAcquire(&shared->mutex);
    const bool was = shared->pressure;
    shared->pressure = pressure;
    for (int i = 0; i < ndbs; i++) {
      DbEntry& e = shared->dbs[i];
      e.no_scheduler = false;
      if (pressure && !was && e.scheduler_latch != nullptr) wake[nwake++] = e.scheduler_latch;
    }
    for (int k = started; k < ncandidates; k++) shared->dbs[candidates[k].index].no_scheduler = true;
    SpinLockRelease(&shared->mutex);
    for (int k = 0; k < nwake; k++) SetLatch(wake[k]);
    if (pressure) timeout_ms = timeout_ms < 0 ? 1000 : Min(timeout_ms, 1000L);

    int events = WL_LATCH_SET | WL_EXIT_ON_PM_DEATH | (timeout_ms >= 0 ? WL_TIMEOUT : 0);
    (void)WaitLatch(MyLatch, events, timeout_ms, PG_WAIT_EXTENSION);
    ResetLatch(MyLatch);
    CHECK_FOR_INTERRUPTS();
  }
  // A non-zero exit makes the postmaster start the launcher again (unless it is shutting down):
  // a launcher terminated by hand comes back and finds the running schedulers in shared memory.
  proc_exit(1);
}
