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

}  // namespace strata::pg
