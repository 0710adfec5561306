#include "pg/internal_user.hpp"

extern "C" {
#include "catalog/pg_authid.h"
#include "utils/guc.h"
}

namespace strata::pg {

void internal_user_begin(InternalUser* saved, bool restricted) {
  GetUserIdAndSecContext(&saved->user, &saved->sec_context);
  saved->guc_nest = NewGUCNestLevel();
  (void)set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
                          true, 0, false);
  SetUserIdAndSecContext(BOOTSTRAP_SUPERUSERID, saved->sec_context | SECURITY_LOCAL_USERID_CHANGE |
                                                    (restricted ? SECURITY_RESTRICTED_OPERATION : 0));
}

void internal_user_end(const InternalUser* saved) {
  SetUserIdAndSecContext(saved->user, saved->sec_context);
  AtEOXact_GUC(true, saved->guc_nest);
}

void owner_user_begin(InternalUser* saved, Oid owner) {
  GetUserIdAndSecContext(&saved->user, &saved->sec_context);
  SetUserIdAndSecContext(owner, saved->sec_context | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
  saved->guc_nest = NewGUCNestLevel();
  (void)set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true,
                          0, false);
}

void owner_user_end(const InternalUser* saved) {
  AtEOXact_GUC(false, saved->guc_nest);  // (as ANALYZE and REFRESH MATERIALIZED VIEW: nothing set in between stays)
  SetUserIdAndSecContext(saved->user, saved->sec_context);
}

}  // namespace strata::pg
