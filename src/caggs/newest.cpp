// The newest raw time of each continuous aggregate, kept in shared memory so that a refresh with
// an open end (window_end NULL) knows where the raw rows end without reading the newest raw chunk
// (which in general has no index on time). Writers merge the greatest time they wrote into it at
// pre-commit (before their commit, so every committed row is covered); a refresh that finds the
// value unknown reads the raw rows once and records what it found. The value is never lowered:
// it may be larger than the newest row still there (DELETE, drop_chunks, an aborted writer that
// got past pre-commit), which only makes the refresh window end later (still exact), never
// smaller. Only when strata is preloaded; otherwise every open-ended refresh reads the rows.
// See "Open-ended refresh: the newest raw time" in docs/ARCHITECTURE.md.
#include "caggs/internal.hpp"

#include "catalog/hypertables.hpp"
#include "core/time/chunk_range.hpp"

extern "C" {
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/shmem.h"
#include "storage/spin.h"
}

namespace strata {
bool guc_cagg_refresh_cached_newest = true;
}

namespace strata::caggs {

namespace {

// Entries are never removed (until the server restarts): an aggregate created after the table
// filled up, and from then on every aggregate, read the raw rows as before.
constexpr int kEntries = 4096;

struct NewestEntry {
  Oid dboid;  // 0: unused
  int32 mat_id;
  Oid mat_relid;  // the materialization hypertable: a restored or re-created aggregate is another
  bool known;      // newest covers every committed row (and the rows of writers past pre-commit)
  int64 newest;    // kOpenStart: no row
};

struct NewestShared {
  slock_t mutex;
  bool disabled;  // a writer found no room: nothing is known any more
  NewestEntry entries[kEntries];
};

NewestShared* shared = nullptr;
bool preloaded = false;

uint32 slot_of(Oid db, int32 mat_id) {
  uint64 h = (static_cast<uint64>(db) * 0x9E3779B97F4A7C15ULL) ^ (static_cast<uint64>(static_cast<uint32>(mat_id)) * 0xC2B2AE3D27D4EB4FULL);
  return static_cast<uint32>((h ^ (h >> 29)) % kEntries);
}

// The entry of an aggregate (under the mutex), created (unknown, no row) when `create`; nullptr
// when absent or when there is no room (then the cache is disabled).
NewestEntry* find_locked(int32 mat_id, Oid mat_relid, bool create) {
  uint32 i = slot_of(MyDatabaseId, mat_id);
  for (int n = 0; n < kEntries; n++, i = (i + 1) % kEntries) {
    NewestEntry* e = &shared->entries[i];
    if (e->dboid == InvalidOid) {
      if (!create) return nullptr;
      e->dboid = MyDatabaseId;
      e->mat_id = mat_id;
      e->mat_relid = mat_relid;
      e->known = false;
      e->newest = core::kOpenStart;
      return e;
    }
    if (e->dboid == MyDatabaseId && e->mat_id == mat_id) {
      if (e->mat_relid != mat_relid) {
        // Another aggregate of that id (the extension re-created, a restore): start over. No
        // writer of the new one can have noted rows under the old relation.
        e->mat_relid = mat_relid;
        e->known = false;
        e->newest = core::kOpenStart;
      }
      return e;
    }
  }
  if (create) shared->disabled = true;
  return nullptr;
}

// The materialization hypertable's relation, or InvalidOid.
Oid mat_relid_of(int32 mat_id) {
  Hypertable* h = hypertable_get_by_id(mat_id);
  return h != nullptr ? h->relid : InvalidOid;
}

}  // namespace

void newest_init() { preloaded = process_shared_preload_libraries_in_progress && !IsBinaryUpgrade; }

namespace {

// Runs `fn(entry)` under the mutex on the entry of aggregate `c` (created, unknown, when `create`;
// nullptr when absent or when there is no room), unless the table is missing or disabled. `fn`
// runs under a spinlock: a few assignments, nothing that can fail.
template <typename Fn>
void with_entry(const Cagg* c, bool create, Fn fn) {
  if (shared == nullptr) return;
  Oid relid = mat_relid_of(c->mat_id);
  if (!OidIsValid(relid)) return;
  SpinLockAcquire(&shared->mutex);
  if (!shared->disabled) fn(find_locked(c->mat_id, relid, create));
  SpinLockRelease(&shared->mutex);
}

}  // namespace

// Writer, at pre-commit: rows up to `newest` written (kOpenEnd: no bound known, e.g. TRUNCATE or
// an INSERT into an open-ended chunk by name: the value becomes unknown).
void newest_note_written(const Cagg* c, int64 newest) {
  with_entry(c, true, [newest](NewestEntry* e) {
    if (e == nullptr) return;
    if (newest == core::kOpenEnd)
      e->known = false;
    else if (newest > e->newest)
      e->newest = newest;
  });
}

// Refresh: the newest raw time when known (false: read the raw rows, then newest_found). *out is
// kOpenStart when no row was ever written.
bool newest_lookup(const Cagg* c, int64* out) {
  if (!guc_cagg_refresh_cached_newest) return false;
  bool ok = false;
  // (find_locked starts an entry of another relation over: a known entry is this aggregate's)
  with_entry(c, false, [&](NewestEntry* e) {
    if (e != nullptr && e->known) {
      *out = e->newest;
      ok = true;
    }
  });
  return ok;
}

// Refresh, after reading every raw row: their newest time (kOpenStart: none). The rows of the
// writers that committed before the read's snapshot are in `newest`; every other writer merges
// its own at pre-commit, before this (kept: never lowered) or after it. The value is known.
void newest_found(const Cagg* c, int64 newest) {
  with_entry(c, true, [newest](NewestEntry* e) {
    if (e == nullptr) return;
    if (newest > e->newest) e->newest = newest;
    e->known = true;
  });
}

// A new aggregate (CREATE): an entry of the same id left by an aggregate of a re-created
// extension is forgotten. No writer can have noted rows for the new one yet.
void newest_reset(int32 mat_id) {
  if (shared == nullptr) return;
  SpinLockAcquire(&shared->mutex);
  NewestEntry* e = shared->disabled ? nullptr : find_locked(mat_id, InvalidOid, false);
  if (e != nullptr) {  // (find_locked started it over unless it was already unknown)
    e->known = false;
    e->newest = core::kOpenStart;
  }
  SpinLockRelease(&shared->mutex);
}

}  // namespace strata::caggs

namespace strata {

void caggs_request_shmem() {
  if (caggs::preloaded) RequestAddinShmemSpace(sizeof(caggs::NewestShared));
}

void caggs_startup_shmem() {
  if (!caggs::preloaded) return;
  bool found = false;
  LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
  caggs::shared = static_cast<caggs::NewestShared*>(ShmemInitStruct("strata cagg newest", sizeof(caggs::NewestShared), &found));
  if (!found) {
    memset(caggs::shared, 0, sizeof(caggs::NewestShared));
    SpinLockInit(&caggs::shared->mutex);
  }
  LWLockRelease(AddinShmemInitLock);
}

}  // namespace strata
