// A glue file that keeps the boundary rules, for scripts/check-boundary.sh --self-test: the
// guard's helpers are the only functions with exception-handling data. Never built into strata.
#include "pg/guard.hpp"

namespace fixture {

int c_style(const char* text) { return pg_strtoint32(text); }

Datum sql_callable(const char* text) {
  return strata::pg::cpp_entry([&] { return Int32GetDatum(c_style(text)); });
}

int64 in_subtransaction(const char* text) {
  return strata::pg::pg_call_in_subtransaction([&]() -> int64 { return pg_strtoint64(text); });
}

void callback(int n) { (void)n; }
void (*const guarded_callback)(int) = strata::pg::guarded<callback>;

}  // namespace fixture
