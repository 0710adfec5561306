// Background jobs: shared state between the launcher, the per-database schedulers, the job
// workers and ordinary backends, and the helpers they share (catalog access as the extension
// owner, recording a run's result). C-style glue: frames own nothing with a destructor.
#pragma once

#include "pg/guard.hpp"
#include "pg/handlers.hpp"
#include "pg/internal_user.hpp"
#include "pg/pg.hpp"

extern "C" {
#include "access/xact.h"
#include "postmaster/bgworker.h"
#include "storage/latch.h"
#include "storage/lock.h"
#include "storage/spin.h"
#include "utils/timestamp.h"
}

#define STRATA_EXPORT extern "C" __attribute__((visibility("default")))

namespace strata {

// Setting strata.max_background_workers (registered by src/hooks/init.cpp).
extern int guc_max_background_workers;
// Setting strata.max_job_databases (registered by src/hooks/init.cpp, at preload): the launcher's
// database entries.
extern int guc_max_job_databases;

// Registers the launcher when strata is being preloaded (not under pg_upgrade), which turns the
// handlers below on; once, from _PG_init.
void jobs_init();

}  // namespace strata

namespace strata::jobs {

// Handlers, run by the hook dispatcher (src/hooks); they do nothing unless jobs_init turned jobs on.
// shmem_request / shmem_startup: the shared state below.
void request_shmem();
void startup_shmem();
// ProcessUtility, wrapping phase: makes a database's scheduler leave before commands that need
// the database (or the extension) to themselves; starts one for a database created from a
// template.
void wrap_utility(const pg::UtilityCall* call);
// Transaction end: applies the scheduler starts, stops and wake-ups the transaction asked for.
void on_xact_event(XactEvent event);

// The launcher keeps an entry for each database with scheduled jobs (strata.max_job_databases of
// them, docs/JOBS.md): a database without any gives its entry back when its scheduler leaves, and
// asks for one again when a change to its jobs commits. A database that finds no free entry is
// remembered (kMaxUnplaced of them; beyond that the launcher scans pg_database again) and placed
// by the launcher as soon as one is free.
inline constexpr int kMaxWaiting = 256;
inline constexpr int kMaxUnplaced = 64;
// How long the launcher lets an unconfirmed entry (a database not yet known to have strata) or its
// running scheduler hold back the others: a database whose scheduler never confirms (it cannot
// connect, or waits on a lock) must not stall the startup scan or the start of other schedulers.
inline constexpr int64 kConfirmGraceUsec = 10 * INT64CONST(1000000);

// A database that has strata jobs (or may have: the launcher's scans, CREATE EXTENSION). Its
// scheduler runs only while jobs are due; in between the launcher keeps the time it must start it
// again.
struct DbEntry {
  Oid dboid;
  bool in_use;
  bool stop_requested;  // a session is dropping/altering the database or extension: stay away
  bool confirmed;       // the scheduler found the extension installed
  bool clean_exit;      // the last scheduler left on its own (idle, yielding, stopped): no backoff
  bool no_scheduler;    // due, but the launcher has no room for a scheduler now (job_stats: Waiting)
  uint64 generation;    // bumped by every start request (see scheduler startup)
  uint64 changes;       // bumped when a change to the jobs commits and when a job worker exits
  TimestampTz next_due; // when no scheduler runs: start one then (0: now; DT_NOEND: no job)
  TimestampTz placed_at; // when the entry was given to dboid (the launcher's caps on unconfirmed
                         // entries count one for kConfirmGraceUsec after this only)
  pid_t scheduler_pid;  // 0 when no scheduler runs
  Latch* scheduler_latch;
};

// A due job that could not get a worker (no free background worker slot, or
// strata.max_background_workers reached): it waits, shown as 'Waiting' in job_stats.
struct WaitingJob {
  Oid dboid;
  int32 job_id;
};

// A running job worker, counted against strata.max_background_workers.
struct JobSlot {
  bool in_use;
  uint64 generation;
  Oid dboid;
  int32 job_id;
  pid_t pid;
};

struct Shared {
  slock_t mutex;
  pid_t launcher_pid;
  Latch* launcher_latch;
  uint64 next_generation;
  bool pressure;  // databases are due that the launcher cannot start a scheduler for
  int ndbs;       // strata.max_job_databases
  DbEntry* dbs;   // ndbs entries, in this shared memory segment after slots
  // Databases that found no free entry (0: none), and a count bumped when one did not fit here
  // either (the launcher then scans pg_database again).
  Oid unplaced[kMaxUnplaced];
  uint64 rescans;
  WaitingJob waiting[kMaxWaiting];
  int nslots;
  JobSlot slots[FLEXIBLE_ARRAY_MEMBER];
};

// Null unless strata was loaded through shared_preload_libraries.
extern Shared* shared;

// Finds the entry of a database (call with the mutex held); nullptr if none.
DbEntry* find_db_locked(Oid dboid);
// Takes a free entry for dboid (call with the mutex held; it must have none): zeroed but for
// dboid, in_use, clean_exit and placed_at (`now`); nullptr if every entry is in use.
DbEntry* add_db_locked(Oid dboid, TimestampTz now);
// Adds (or reuses) an entry for dboid, due now, and wakes the launcher. If the table is full,
// warns and leaves dboid for the launcher to place when an entry is free; returns false then.
bool request_scheduler(Oid dboid);
void wake_launcher();

// The jobs of dboid changed (a committed add/alter/delete, a run's result, a job worker's exit):
// its scheduler, or the launcher if none runs, looks at them now.
void note_jobs_changed(Oid dboid);
// True in a scheduler: its own catalog writes need no wake-up.
extern bool in_scheduler;

// Waiting marks (see WaitingJob); the mutex must not be held.
void set_job_waiting(Oid dboid, int32 job_id);
void clear_waiting_jobs(Oid dboid);

// Terminates the background worker running job_id (in this database), if any, when the current
// transaction commits (delete_job).
void terminate_job_on_commit(int32 job_id);

// Advisory lock key that a running job holds (in the worker and in run_job).
void job_lock_tag(LOCKTAG* tag, int32 job_id);

// Registers a dynamic strata background worker connected to a database (entry point `function`,
// main argument `arg`, optional `extra` bytes copied into bgw_extra) that notifies this process;
// nullptr if no worker slot is free.
BackgroundWorkerHandle* start_dynamic_worker(const char* function, const char* name, const char* type,
                                             Datum arg, const void* extra, size_t extra_len);

// An SPI session whose statements run as the bootstrap superuser with search_path =
// pg_catalog, pg_temp (for catalog access on behalf of callers that have been checked). Inside a
// transaction; begin connects SPI (an error if it cannot), end restores the user and GUCs and
// finishes SPI.
using CatalogContext = pg::InternalUser;
void catalog_spi_begin(CatalogContext* saved);
void catalog_spi_end(const CatalogContext* saved);

// Job catalog row fields the scheduler and workers need.
struct JobRow {
  int32 id;
  Oid owner;
  NameData proc_schema;
  NameData proc_name;
  char prokind;     // 'f' or 'p'; '\0' when the procedure does not exist
  char* config;     // jsonb as text (palloc'd) or nullptr
};
// Reads a job (in a transaction, inside SPI); false if it does not exist.
bool read_job(int32 job_id, JobRow* out);

// The SQL statement that calls a job's procedure: CALL/SELECT schema.proc(id, 'config').
char* job_call_sql(const JobRow* job);

// Records the start of a run in bgw_job_stat (inside a transaction): done by the job worker
// once it runs, so a job that could not get a worker shows no run.
void record_start(int32 job_id, TimestampTz start);
// Records the end of a run: statistics, next start (with retry backoff after a failure) and,
// for a failure, a job_errors row. Inside a transaction; returns false if the job is gone.
bool record_finish(int32 job_id, bool success, bool crashed, const char* sqlstate,
                   const char* message, int pid);

// Whether the job's owner may still run it; if not, *sqlstate/*message say why (palloc'd).
bool owner_can_run(Oid owner, const char** sqlstate, const char** message);

// The caller may alter or run job_id (a member of its owner, or a superuser); errors otherwise.
// With for_delete, the owner of the job's hypertable may too (to remove a policy created by a
// previous owner of the table; altering it would let them choose what another role's job does).
// Returns false if the job does not exist and if_exists.
bool check_job_access(int32 job_id, bool if_exists, bool for_delete = false);

}  // namespace strata::jobs

// Background worker entry points, defined with STRATA_BGWORKER_MAIN (their bodies run inside
// cpp_entry).
STRATA_EXPORT void strata_jobs_launcher_main(Datum arg);
STRATA_EXPORT void strata_jobs_scheduler_main(Datum arg);
STRATA_EXPORT void strata_jobs_worker_main(Datum arg);

namespace strata::jobs {
// What the scheduler passes to a job worker in bgw_extra.
struct WorkerArgs {
  int32 job_id;
  Oid owner;
  int slot;
  uint64 slot_generation;
  int64 max_runtime_usec;  // 0: no limit; the worker cancels its own run past it
};
}  // namespace strata::jobs
