// The C++/PostgreSQL error boundary: pg_call() and pg_call_in_subtransaction() (C++ calling
// PostgreSQL), cpp_entry(), pg::guarded, STRATA_FUNCTION and STRATA_BGWORKER_MAIN (PostgreSQL
// calling C++). See "The C++/PostgreSQL boundary" in docs/ARCHITECTURE.md; these templates are
// the only functions of a glue file that may have landing pads (scripts/check-boundary.sh).
#pragma once

#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <type_traits>

#include "core/error.hpp"
#include "pg/pg.hpp"

extern "C" {
#include "utils/resowner.h"
}

namespace strata::pg {

// A PostgreSQL error caught by pg_call(). The ErrorData was copied into the memory context that
// was current when pg_call() was entered.
//
// A PgError is not an ordinary exception that C++ code may catch and carry on from. By the time it
// is thrown the error state has been flushed, but nothing else of PostgreSQL's error recovery has
// run: the transaction (or subtransaction) is aborted in spirit. Locks, buffer pins, SPI
// connections, snapshots, open relations and half-done catalog changes of the failed call may
// still be held or be inconsistent, and only the abort of the transaction cleans them up. So a
// PgError must travel up to cpp_entry(), which re-raises it and lets PostgreSQL abort, unless
// the call ran in a subtransaction that has been rolled back: pg_call_in_subtransaction() does
// exactly that, and its PgErrors (recovered() is true) may be caught and handled.
//
// The rule is enforced at run time. cpp_entry() raises an internal error naming the PostgreSQL
// error when its body returns normally although a pg_call() inside it caught that error and it
// was not rolled back; and a transaction in which that happened cannot commit (for bodies that
// commit themselves, as background workers do: refuse_commit_after_unrecovered_error).
class PgError : public std::exception {
 public:
  explicit PgError(ErrorData* edata, bool recovered = false) : edata_(edata), recovered_(recovered) {}
  const char* what() const noexcept override {
    return edata_ && edata_->message ? edata_->message : "PostgreSQL error";
  }
  ErrorData* edata() const noexcept { return edata_; }
  // The failed call ran in a subtransaction that has been rolled back: the transaction is sound.
  bool recovered() const noexcept { return recovered_; }

 private:
  ErrorData* edata_;
  bool recovered_;
};

// PostgreSQL errors caught by pg_call() whose (sub)transaction has not been rolled back yet
// (see PgError), and the message of the latest; cpp_entry() checks the count.
extern int unrecovered_pg_errors;
extern char unrecovered_pg_error_message[256];

// Transaction callback (installed by the hook dispatcher, src/hooks): raises an error before a
// commit while unrecovered_pg_errors is not zero, and resets the count when a transaction aborts.
void refuse_commit_after_unrecovered_error(XactEvent event);

// Runs f(), which calls PostgreSQL functions that may ereport(ERROR), from C++ code that owns
// objects with destructors. A PostgreSQL error longjmps back here and is rethrown as PgError, so
// the C++ frames above unwind normally. f itself must own nothing that needs a destructor (it is
// skipped by the longjmp), and its result type must be trivially destructible. The PgError must
// reach cpp_entry(): catching it and carrying on is wrong (see PgError; to handle an error, use
// pg_call_in_subtransaction()).
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
    ++unrecovered_pg_errors;
    strlcpy(unrecovered_pg_error_message, edata->message ? edata->message : "", sizeof unrecovered_pg_error_message);
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

// Runs f() (C-style: it calls PostgreSQL and owns nothing with a destructor) in an internal
// subtransaction, for C++ code that wants to handle a PostgreSQL error of f and carry on in the
// same transaction. On success the subtransaction is released and f's result returned. On a
// PostgreSQL error the subtransaction is rolled back (releasing what f held: locks, buffers, SPI
// state of f, catalog changes) and a recovered PgError is thrown, which the caller may catch.
// Either way the caller's memory context and resource owner are current again afterwards. Costs
// a subtransaction start and end (no XID unless f writes): not for per-row work.
template <typename F>
auto pg_call_in_subtransaction(F&& f) -> decltype(f()) {
  using R = decltype(f());
  MemoryContext const caller_cxt = CurrentMemoryContext;
  ResourceOwner const caller_owner = CurrentResourceOwner;
  const int unrecovered_before = unrecovered_pg_errors;
  pg_call([] { BeginInternalSubTransaction(nullptr); });
  MemoryContextSwitchTo(caller_cxt);  // f's results (and a PgError's ErrorData) outlive the subtransaction
  ErrorData* error = nullptr;
  std::exception_ptr other;  // any other exception out of f, thrown again after the rollback
  std::conditional_t<std::is_void_v<R>, int, R> result{};
  try {
    if constexpr (std::is_void_v<R>)
      pg_call(f);
    else
      result = pg_call(f);
  } catch (const PgError& e) {
    error = e.edata();
  } catch (...) {
    other = std::current_exception();
  }
  if (error == nullptr && other == nullptr) {
    pg_call([] { ReleaseCurrentSubTransaction(); });
    MemoryContextSwitchTo(caller_cxt);
    CurrentResourceOwner = caller_owner;
    if constexpr (std::is_void_v<R>)
      return;
    else
      return result;
  }
  // Outside the catch blocks: a PostgreSQL error while rolling back must not longjmp out of one.
  pg_call([] { RollbackAndReleaseCurrentSubTransaction(); });
  MemoryContextSwitchTo(caller_cxt);
  CurrentResourceOwner = caller_owner;
  unrecovered_pg_errors = unrecovered_before;  // whatever failed inside has been rolled back
  if (other != nullptr) std::rethrow_exception(other);
  throw PgError(error, true);
}

// pg_call_in_subtransaction() for glue code that handles the error itself (it may not catch:
// scripts/check-boundary.sh): true when f (returning nothing) succeeded; false when its
// PostgreSQL error was rolled back, with the ErrorData (in the caller's memory context) in *error.
template <typename F>
bool pg_call_in_subtransaction(F&& f, ErrorData** error) {
  try {
    pg_call_in_subtransaction(f);
    return true;
  } catch (const PgError& e) {
    if (!e.recovered()) throw;
    *error = e.edata();
    return false;
  }
}

// SQLSTATE for an error thrown by the PostgreSQL-free core.
int sqlstate_for(core::Errc code);

// Runs the C++ body of a PostgreSQL entry point (SQL-callable function, hook, callback). Any C++
// exception is caught, its message copied into a fixed buffer, and ereport(ERROR) is raised only
// after the catch block has ended, so the longjmp crosses no frame that owns a destructor. A
// PgError that came through pg_call() is re-thrown as the original PostgreSQL error. A body
// that returns normally after a pg_call() inside it caught a PostgreSQL error that was never
// rolled back (see PgError) gets an internal error instead of its result.
template <typename F>
auto cpp_entry(F&& body) -> decltype(body()) {
  using R = decltype(body());
  const int unrecovered_at_entry = unrecovered_pg_errors;
  ErrorData* pg_error = nullptr;
  int sqlstate = 0;
  char message[1024];
  message[0] = '\0';
  try {
    if constexpr (std::is_void_v<R>) {
      body();
      if (unrecovered_pg_errors <= unrecovered_at_entry) return;  // fewer: an abort or rollback recovered some
    } else {
      R result = body();
      if (unrecovered_pg_errors <= unrecovered_at_entry) return result;
    }
    sqlstate = ERRCODE_INTERNAL_ERROR;
    snprintf(message, sizeof message, "a PostgreSQL error was caught and not raised again: %s",
             unrecovered_pg_error_message);
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
  // Only trivially destructible locals are alive here. The error raised now aborts the
  // (sub)transaction, which is the recovery the caught PostgreSQL errors were waiting for.
  if (unrecovered_pg_errors > unrecovered_at_entry) unrecovered_pg_errors = unrecovered_at_entry;
  if (pg_error != nullptr) ReThrowError(pg_error);
  ereport(ERROR, (errcode(sqlstate), errmsg("%s", message)));
  pg_unreachable();
}

// A C callback for PostgreSQL (a custom scan or path method, say) that runs Fn inside
// cpp_entry(): hand PostgreSQL `pg::guarded<fn>` where it wants a function pointer.
template <auto Fn>
struct Guarded;
template <typename R, typename... Args, R (*Fn)(Args...)>
struct Guarded<Fn> {
  static R call(Args... args) {
    return cpp_entry([&]() -> R { return Fn(args...); });
  }
};
template <auto Fn>
inline constexpr auto guarded = &Guarded<Fn>::call;

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

// Defines the entry point `name` of a background worker (looked up by name through
// bgw_function_name) whose body runs inside cpp_entry(). A PostgreSQL error in the body reaches
// the background worker's own error handling as usual. Use as
//   STRATA_BGWORKER_MAIN(my_main) { ... uses `arg`, the bgw_main_arg ... }
#define STRATA_BGWORKER_MAIN(name)                                                     \
  static void name##_body(Datum arg);                                                   \
  extern "C" __attribute__((visibility("default"))) void name(Datum arg);               \
  void name(Datum arg) {                                                                \
    strata::pg::cpp_entry([&] { name##_body(arg); });                                   \
  }                                                                                     \
  static void name##_body(Datum arg)
