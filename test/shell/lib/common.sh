# Helpers for shell tests: a private cluster per test, assertions, cleanup. Source after lib.sh.
TEST_NAME=$(basename "$0" .sh)
TEST_DIR=$(mktemp -d "/tmp/strata-$TEST_NAME.XXXXXX")
chmod 755 "$TEST_DIR"; chown postgres "$TEST_DIR" 2>/dev/null || true
TEST_DATA=$TEST_DIR/data
[ -x "$STAGE_BINDIR/postgres" ] && [ -f "$STAGE$SYS_PKGLIBDIR/strata.so" ] || stage_install

cleanup() {
  cluster_stop "$TEST_DATA"
  rm -rf "$TEST_DIR"
}
trap cleanup EXIT

sql() { psql_at "$TEST_DATA" "$TEST_PORT" -At "$@"; }

check() {  # check DESCRIPTION EXPECTED ACTUAL
  if [ "$2" == "$3" ]; then
    echo "ok: $1"
  else
    echo "FAIL: $1: expected [$2], got [$3]"
    echo "FAIL"
    exit 1
  fi
}
