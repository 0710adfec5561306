// _PG_init: defines strata's GUCs and installs every subsystem's hooks.
#include "pg/init.hpp"

#include "pg/pg.hpp"
#include "caggs/caggs.hpp"

extern "C" {
#include "utils/guc.h"
PG_MODULE_MAGIC;
void _PG_init(void);
}

namespace strata {

bool guc_enable_chunk_exclusion = true;
bool guc_enable_ordered_append = true;
bool guc_enable_runtime_exclusion = true;
int guc_max_background_workers = 8;

static bool preloaded = false;

bool loaded_at_startup() { return preloaded; }

static void define_gucs() {
  DefineCustomBoolVariable("strata.enable_chunk_exclusion",
                           "Plans only the chunks of a hypertable that its time predicates can match.",
                           nullptr, &guc_enable_chunk_exclusion, true, PGC_USERSET, 0, nullptr,
                           nullptr, nullptr);
  DefineCustomBoolVariable("strata.enable_ordered_append",
                           "Reads chunks in time order to satisfy ORDER BY time without a sort.",
                           nullptr, &guc_enable_ordered_append, true, PGC_USERSET, 0, nullptr,
                           nullptr, nullptr);
  DefineCustomBoolVariable("strata.enable_runtime_exclusion",
                           "Excludes chunks at executor start for now()-relative and parameterized predicates.",
                           nullptr, &guc_enable_runtime_exclusion, true, PGC_USERSET, 0, nullptr,
                           nullptr, nullptr);
  DefineCustomIntVariable("strata.max_background_workers",
                          "Maximum number of strata jobs that run at the same time.", nullptr,
                          &guc_max_background_workers, 8, 0, 1000, PGC_SIGHUP, 0, nullptr, nullptr,
                          nullptr);
  MarkGUCPrefixReserved("strata");
}

}  // namespace strata

void _PG_init(void) {
  strata::preloaded = process_shared_preload_libraries_in_progress;
  strata::define_gucs();
  strata::catalog_init();
  strata::planner_init();
  strata::ingest_init();
  strata::ddl_init();
  strata::jobs_init();
  strata::caggs_init();
}
