// Planted violations for scripts/check-boundary.sh --self-test: glue functions that own objects
// with destructors, or catch, outside the guard's helpers. Never built into strata.
#include <string>
#include <vector>

#include "pg/guard.hpp"

namespace fixture {

int owns_a_string(const char* name) {
  std::string copy(name);
  return pg_strtoint32(copy.c_str());  // a PostgreSQL call: its error would longjmp past ~string
}

int lambda_owns_a_vector(int n) {
  return strata::pg::cpp_entry([&] {
    std::vector<int> v(n);
    return static_cast<int>(pg_strtoint32(v.empty() ? "0" : "1"));
  });
}

int catches_outside_the_guard(const char* text) {
  try {
    return strata::pg::pg_call([&] { return pg_strtoint32(text); });
  } catch (const strata::pg::PgError&) {
    return 0;  // carries on in a transaction that is aborted in spirit
  }
}

}  // namespace fixture
