// Error-code mapping and error accounting for the C++/PostgreSQL boundary (see guard.hpp).
#include "pg/guard.hpp"

namespace strata::pg {

int unrecovered_pg_errors = 0;
char unrecovered_pg_error_message[256];

int sqlstate_for(core::Errc code) {
  switch (code) {
    case core::Errc::invalid_argument:
      return ERRCODE_INVALID_PARAMETER_VALUE;
    case core::Errc::out_of_range:
      return ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE;
    case core::Errc::data_corrupted:
      return ERRCODE_DATA_CORRUPTED;
    case core::Errc::internal:
      break;
  }
  return ERRCODE_INTERNAL_ERROR;
}

void refuse_commit_after_unrecovered_error(XactEvent event) {
  switch (event) {
    case XACT_EVENT_PRE_COMMIT:
    case XACT_EVENT_PARALLEL_PRE_COMMIT:
    case XACT_EVENT_PRE_PREPARE:
      if (unrecovered_pg_errors > 0) {
        unrecovered_pg_errors = 0;
        ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
                        errmsg("a PostgreSQL error was caught and not raised again: %s", unrecovered_pg_error_message),
                        errdetail("A transaction in which an error was caught without rolling back cannot commit.")));
      }
      break;
    case XACT_EVENT_ABORT:
    case XACT_EVENT_PARALLEL_ABORT:
      unrecovered_pg_errors = 0;
      break;
    default:
      break;
  }
}

}  // namespace strata::pg
