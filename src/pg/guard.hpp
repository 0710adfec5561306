// The C++/PostgreSQL error boundary: pg_call() (C++ calling PostgreSQL) and cpp_entry()
// (PostgreSQL calling C++). See "The C++/PostgreSQL boundary" in docs/ARCHITECTURE.md.
#pragma once

#include <cstring>
#include <exception>
#include <new>
#include <type_traits>

#include "core/error.hpp"
#include "pg/pg.hpp"

namespace strata::pg {

// A PostgreSQL error caught by pg_call(). The ErrorData was copied into the memory context that
// was current when pg_call() was entered.
class PgError : public std::exception {
 public:
  explicit PgError(ErrorData* edata) : edata_(edata) {}
  const char* what() const noexcept override {
    return edata_ && edata_->message ? edata_->message : "PostgreSQL error";
  }
  ErrorData* edata() const noexcept { return edata_; }

 private:
  ErrorData* edata_;
};

// Runs f(), which calls PostgreSQL functions that may ereport(ERROR), from C++ code that owns
// objects with destructors. A PostgreSQL error longjmps back here and is rethrown as PgError, so
// the C++ frames above unwind normally. f itself must own nothing that needs a destructor (it is
// skipped by the longjmp), and its result type must be trivially destructible.
template <typename F>
auto pg_call(F&& f) -> decltype(f()) {
  using R = decltype(f());
  static_assert(std::is_void_v<R> || std::is_trivially_destructible_v<R>,
                "pg_call results must be trivially destructible");
  MemoryContext volatile caller_cxt = CurrentMemoryContext;
  ErrorContextCallback* volatile saved_context = error_context_stack;
  sigjmp_buf* volatile saved_stack = PG_exception_stack;
  sigjmp_buf local;
  if (sigsetjmp(local, 0) != 0) {
    PG_exception_stack = saved_stack;
    error_context_stack = saved_context;
    MemoryContextSwitchTo(caller_cxt);
    ErrorData* edata = CopyErrorData();
    FlushErrorState();
    throw PgError(edata);
  }
  PG_exception_stack = &local;
  try {
    if constexpr (std::is_void_v<R>) {
      f();
      PG_exception_stack = saved_stack;
    } else {
      R result = f();
      PG_exception_stack = saved_stack;
      return result;
    }
  } catch (...) {  // a C++ exception out of f (a nested pg_call's PgError, say) leaves this frame too
    PG_exception_stack = saved_stack;
    error_context_stack = saved_context;
    throw;
  }
}

// SQLSTATE for an error thrown by the PostgreSQL-free core.
int sqlstate_for(core::Errc code);

// Runs the C++ body of a PostgreSQL entry point (SQL-callable function, hook, callback). Any C++
// exception is caught, its message copied into a fixed buffer, and ereport(ERROR) is raised only
// after the catch block has ended, so the longjmp crosses no frame that owns a destructor. A
// PgError that came through pg_call() is re-thrown as the original PostgreSQL error.
template <typename F>
auto cpp_entry(F&& body) -> decltype(body()) {
  ErrorData* pg_error = nullptr;
  int sqlstate = 0;
  char message[1024];
  message[0] = '\0';
  try {
    return body();
  } catch (const PgError& e) {
    pg_error = e.edata();
  } catch (const core::Error& e) {
    sqlstate = sqlstate_for(e.code());
    strlcpy(message, e.what(), sizeof message);
  } catch (const std::bad_alloc&) {
    sqlstate = ERRCODE_OUT_OF_MEMORY;
    strlcpy(message, "out of memory", sizeof message);
  } catch (const std::exception& e) {
    sqlstate = ERRCODE_INTERNAL_ERROR;
    strlcpy(message, e.what(), sizeof message);
  } catch (...) {
    sqlstate = ERRCODE_INTERNAL_ERROR;
    strlcpy(message, "unknown C++ exception", sizeof message);
  }
  // Only trivially destructible locals are alive here.
  if (pg_error != nullptr) ReThrowError(pg_error);
  ereport(ERROR, (errcode(sqlstate), errmsg("%s", message)));
  pg_unreachable();
}

}  // namespace strata::pg

// Defines an SQL-callable function `name` whose body runs inside cpp_entry(). Use as
//   STRATA_FUNCTION(my_func) { ... return Datum; }
#define STRATA_FUNCTION(name)                                                          \
  static Datum name##_body(FunctionCallInfo fcinfo);                                    \
  extern "C" {                                                                          \
  PG_FUNCTION_INFO_V1(name);                                                            \
  }                                                                                     \
  Datum name(PG_FUNCTION_ARGS) {                                                        \
    return strata::pg::cpp_entry([&]() -> Datum { return name##_body(fcinfo); });       \
  }                                                                                     \
  static Datum name##_body(FunctionCallInfo fcinfo)
