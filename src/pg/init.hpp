// Module initialisation: GUCs and the per-subsystem hook installers called from _PG_init.
#pragma once

namespace strata {

// GUC values (see init.cpp for their documentation).
extern bool guc_enable_chunk_exclusion;
extern bool guc_enable_ordered_append;
extern bool guc_enable_runtime_exclusion;
extern int guc_max_background_workers;

// Each subsystem installs its hooks here; called once from _PG_init.
void catalog_init();
void planner_init();
void ingest_init();
void ddl_init();
void jobs_init();

// True while the server is loading strata through shared_preload_libraries.
bool loaded_at_startup();

}  // namespace strata
