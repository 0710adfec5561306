// Error type thrown by the PostgreSQL-free core; the glue maps Errc to an SQLSTATE.
#pragma once

#include <stdexcept>
#include <string>

namespace strata::core {

enum class Errc {
  invalid_argument,  // bad input from a caller (22023)
  out_of_range,      // a value outside what the type or format can hold (22003 / 22008)
  data_corrupted,    // stored bytes that fail validation (XX001)
  internal,          // a broken invariant (XX000)
};

class Error : public std::runtime_error {
 public:
  Error(Errc code, const std::string& message) : std::runtime_error(message), code_(code) {}
  Errc code() const noexcept { return code_; }

 private:
  Errc code_;
};

}  // namespace strata::core
