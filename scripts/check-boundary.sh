#!/usr/bin/env bash
# Checks the C++/PostgreSQL boundary rules (docs/ARCHITECTURE.md, "The C++/PostgreSQL boundary"):
#   1. No glue function owns an object with a destructor. A glue file is a .cpp under src/ outside
#      src/core that includes PostgreSQL's server headers. Each is compiled with the project's flags
#      but -O0 (nothing inlined) to assembly, and every function that has exception-handling data
#      (.cfi_personality: a landing pad that runs destructors, or a catch clause) is reported,
#      except the instantiations of the guard's own helpers: strata::pg::cpp_entry, pg_call and
#      pg_call_in_subtransaction. C++ objects with destructors live in files without server headers.
#   2. No PostgreSQL hook or callback is installed outside src/hooks, whose dispatcher runs every
#      handler inside cpp_entry.
# With --self-test it first checks itself on planted violations (test/boundary/): each must be
# found, and the clean fixture must pass. Prints what it finds; exits non-zero on any violation.
set -euo pipefail

cd "$(dirname "$0")/.."
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
SERVER_INCLUDE=$($PG_CONFIG --includedir-server)
OUT=build/boundary
mkdir -p "$OUT"
# The glue's compiler command, at -O0 and without debug information (_FORTIFY_SOURCE needs -O).
CXX_CMD="$(make -s --no-print-directory PG_CONFIG="$PG_CONFIG" print-cxx-command) -O0 -g0 -U_FORTIFY_SOURCE"
ALLOWED='^_ZN6strata2pg(9cpp_entry|7pg_call|25pg_call_in_subtransaction)I'

# glue_functions_with_destructors FILE...: one line "FILE: FUNCTION" per function of a glue file
# that has exception-handling data; files without server headers are skipped.
# The files are compiled ${JOBS:-nproc} at a time first, then inspected in order.
compile_to_asm() {  # compile_to_asm FILE: $OUT/<file>.s, or $OUT/<file>.s.failed with the errors
  local asm
  asm=$OUT/$(echo "$1" | tr / _).s
  rm -f "$asm" "$asm.failed"
  $CXX_CMD -MD -MF "$asm.d" -S -o "$asm" "$1" 2>"$asm.failed" && rm -f "$asm.failed"
  return 0
}
export -f compile_to_asm
export CXX_CMD OUT
glue_functions_with_destructors() {
  local f asm
  printf '%s\0' "$@" | xargs -0 -r -n 1 -P "${JOBS:-$(nproc)}" bash -c 'compile_to_asm "$1"' _
  for f in "$@"; do
    asm=$OUT/$(echo "$f" | tr / _).s
    if [ -f "$asm.failed" ]; then cat "$asm.failed" >&2; echo "$f: does not compile"; continue; fi
    grep -q "$SERVER_INCLUDE/postgres.h" "$asm.d" || continue
    awk '/^\t\.type\t.*, @function$/ { sub(/^\t\.type\t/, ""); sub(/, @function$/, ""); fn = $0 }
         /\.cfi_startproc/ { cur = fn }
         /\.cfi_personality/ { print cur }' "$asm" |
      grep -Ev "$ALLOWED" | c++filt | sed "s|^|$f: |" || true
  done
}

# hooks_installed_outside_dispatcher FILE...: lines that install a hook or register a callback.
hooks_installed_outside_dispatcher() {
  grep -HnE '\b[A-Za-z_]+_hook[[:space:]]*=[^=]|\b(RegisterXactCallback|RegisterSubXactCallback|CacheRegisterRelcacheCallback|CacheRegisterSyscacheCallback|RegisterResourceReleaseCallback)[[:space:]]*\(' \
    "$@" || true
}

failed=0
if [ "${1:-}" = --self-test ]; then
  found=$(glue_functions_with_destructors test/boundary/owns_destructor.cpp)
  for fn in 'owns_a_string' 'lambda_owns_a_vector' 'catches_outside_the_guard'; do
    if grep -q "$fn" <<<"$found"; then echo "self-test: found $fn"; else echo "self-test: MISSED $fn"; failed=1; fi
  done
  found=$(glue_functions_with_destructors test/boundary/clean.cpp)
  if [ -z "$found" ]; then echo "self-test: clean.cpp passes"; else echo "self-test: FALSE ALARM: $found"; failed=1; fi
  found=$(hooks_installed_outside_dispatcher test/boundary/installs_hook.cpp)
  if [ "$(grep -c . <<<"$found")" = 2 ]; then echo "self-test: found both hook installations"; else
    echo "self-test: hook installations found: $found"; failed=1; fi
fi

mapfile -t glue < <(ls src/*/*.cpp | grep -v '^src/core/')
found=$(glue_functions_with_destructors "${glue[@]}")
if [ -n "$found" ]; then
  echo "glue functions that own objects with destructors (or catch exceptions) outside the guard:"
  echo "$found"
  failed=1
fi
found=$(hooks_installed_outside_dispatcher $(ls src/*/*.cpp src/*/*.hpp | grep -Ev '^src/(hooks/|pg/compat\.hpp)'))
if [ -n "$found" ]; then
  echo "hooks or callbacks installed outside src/hooks:"
  echo "$found"
  failed=1
fi
if [ $failed -eq 0 ]; then echo "check-boundary: ok (${#glue[@]} glue files)"; else echo "check-boundary: FAILED"; fi
exit $failed
