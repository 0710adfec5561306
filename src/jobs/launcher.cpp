// Background jobs: the launcher, a static background worker that starts and restarts one
// scheduler per database with strata installed. It connects to no database: at startup it lists
// pg_database (a shared catalog) and lets each database's scheduler check for the extension;
// afterwards schedulers are requested through shared memory (CREATE EXTENSION) and it sleeps
// on its latch.
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

// Adds every database that accepts connections and is not a template; their schedulers exit at
// once if the extension is not installed there.
static void add_all_databases() {
  StartTransactionCommand();
  Relation rel = table_open(DatabaseRelationId, AccessShareLock);
  TableScanDesc scan = table_beginscan_catalog(rel, 0, nullptr);
  HeapTuple tup;
  while ((tup = heap_getnext(scan, ForwardScanDirection)) != nullptr) {
    Form_pg_database db = reinterpret_cast<Form_pg_database>(GETSTRUCT(tup));
    if (!db->datallowconn || db->datistemplate) continue;
    (void)request_scheduler(db->oid);
  }
  table_endscan(scan);
  table_close(rel, AccessShareLock);
  CommitTransactionCommand();
}

static BackgroundWorkerHandle* start_scheduler(Oid dboid) {
  char name[BGW_MAXLEN];
  snprintf(name, sizeof name, "strata job scheduler for database %u", dboid);
  return start_dynamic_worker("strata_jobs_scheduler_main", name, "strata job scheduler",
                              ObjectIdGetDatum(dboid), nullptr, 0);
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
  add_all_databases();

  // Handles of the schedulers this launcher started, by entry index; when a scheduler stops
  // for any reason other than a drop, it is started again (after a pause if it failed fast).
  BackgroundWorkerHandle* handles[kMaxDatabases] = {};
  TimestampTz started_at[kMaxDatabases] = {};
  Oid started_db[kMaxDatabases] = {};
  int quick_exits[kMaxDatabases] = {};  // schedulers in a row that stopped within 10 s
  constexpr int kMaxUnconfirmed = 4;

  while (!launcher_stop) {
    if (ConfigReloadPending) {
      ConfigReloadPending = false;
      ProcessConfigFile(PGC_SIGHUP);
    }
    long timeout_ms = -1;
    const TimestampTz now = GetCurrentTimestamp();
    for (int i = 0; i < kMaxDatabases; i++) {
      if (handles[i] != nullptr) {
        pid_t pid;
        if (GetBackgroundWorkerPid(handles[i], &pid) == BGWH_STOPPED) {
          pfree(handles[i]);
          handles[i] = nullptr;
          if (TimestampDifferenceExceeds(started_at[i], now, 10000))
            quick_exits[i] = 0;
          else
            quick_exits[i] = Min(quick_exits[i] + 1, 6);
        }
      }
    }
    int unconfirmed = 0;
    SpinLockAcquire(&shared->mutex);
    for (int i = 0; i < kMaxDatabases; i++) {
      const DbEntry& e = shared->dbs[i];
      if (e.in_use && handles[i] != nullptr && !e.confirmed) unconfirmed++;
    }
    SpinLockRelease(&shared->mutex);

    for (int i = 0; i < kMaxDatabases; i++) {
      SpinLockAcquire(&shared->mutex);
      const DbEntry e = shared->dbs[i];
      SpinLockRelease(&shared->mutex);
      if (!e.in_use || e.stop_requested || handles[i] != nullptr || e.scheduler_pid != 0) continue;
      if (unconfirmed >= kMaxUnconfirmed) {
        timeout_ms = timeout_ms < 0 ? 1000 : Min(timeout_ms, 1000L);
        continue;
      }
      // A scheduler that keeps stopping soon after it starts (it cannot connect, say) is
      // started again after 1, 2, 4, ... 64 seconds.
      if (started_db[i] != e.dboid) quick_exits[i] = 0;
      const int delay_ms = quick_exits[i] == 0 ? 0 : 1000 << (quick_exits[i] - 1);
      if (started_at[i] != 0 && !TimestampDifferenceExceeds(started_at[i], now, delay_ms)) {
        timeout_ms = timeout_ms < 0 ? delay_ms : Min(timeout_ms, static_cast<long>(delay_ms));
        continue;
      }
      handles[i] = start_scheduler(e.dboid);
      started_at[i] = now;
      started_db[i] = e.dboid;
      if (handles[i] == nullptr) {
        timeout_ms = timeout_ms < 0 ? 5000 : Min(timeout_ms, 5000L);  // no free worker slot
      } else {
        unconfirmed++;
      }
    }
    int events = WL_LATCH_SET | WL_EXIT_ON_PM_DEATH | (timeout_ms >= 0 ? WL_TIMEOUT : 0);
    (void)WaitLatch(MyLatch, events, timeout_ms, PG_WAIT_EXTENSION);
    ResetLatch(MyLatch);
    CHECK_FOR_INTERRUPTS();
  }
  // A non-zero exit makes the postmaster start the launcher again (unless it is shutting down):
  // a launcher terminated by hand comes back and finds the running schedulers in shared memory.
  proc_exit(1);
}
