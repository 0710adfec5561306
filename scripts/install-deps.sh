#!/usr/bin/env bash
# Installs everything strata needs to build and test on Debian bookworm (run as root). Quick when
# everything is already there.
set -euo pipefail
# pg_prove comes from libtap-parser-sourcehandler-pgtap-perl, which postgresql-15-pgtap only
# recommends (and recommended packages are not installed here): it is named explicitly.
# postgresql-15-tdigest and postgresql-15-hll are the sketches strata's rollups use (percentiles,
# distinct counts); the test suite exercises them. faketime (libfaketime) is for test/flaky.sh's
# FAKE_TIME mode (a server clock near hour and day boundaries), not the suite.
PKGS=(postgresql-15 postgresql-server-dev-15 postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl
      postgresql-15-tdigest postgresql-15-hll pgbouncer libzstd-dev zstd cmake g++ make pkg-config libgtest-dev libbenchmark-dev clang
      libclang-rt-14-dev libipc-run-perl python3 procps util-linux faketime)
# The client tests (test/clients) need node and npm: Debian's packages when there is no node (a
# node installed otherwise, e.g. NodeSource's, which bundles npm, is used as it is).
if ! command -v node >/dev/null 2>&1; then PKGS+=(nodejs npm); elif ! command -v npm >/dev/null 2>&1; then PKGS+=(npm); fi
missing=()
for p in "${PKGS[@]}"; do
  [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" == *"install ok installed"* ]] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing packages: ${missing[*]} (run this script as root to install them)" >&2
    exit 1
  fi
  echo "==> installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
id postgres >/dev/null 2>&1 || useradd --system --home /var/lib/postgresql --shell /bin/bash postgres

# Every tool the build and the test suite call: a missing one stops here, loudly, instead of
# surfacing later as one failed test.
PG_BINDIR=$(/usr/lib/postgresql/15/bin/pg_config --bindir)
PGXS_DIR=$(dirname "$(/usr/lib/postgresql/15/bin/pg_config --pgxs)")/..
missing_tools=()
for t in cmake make g++ pkg-config pg_prove perl python3 runuser node npm /usr/sbin/pgbouncer "$PG_BINDIR/initdb" "$PG_BINDIR/pg_ctl" \
         "$PG_BINDIR/psql" "$PG_BINDIR/pg_dump" "$PG_BINDIR/pg_restore" "$PG_BINDIR/pg_basebackup" \
         "$PGXS_DIR/test/regress/pg_regress" "$PGXS_DIR/test/isolation/pg_isolation_regress"; do
  command -v "$t" >/dev/null 2>&1 || [ -x "$t" ] || missing_tools+=("$t")
done
if [ ${#missing_tools[@]} -gt 0 ]; then
  echo "install-deps: required tools missing after installation: ${missing_tools[*]}" >&2
  exit 1
fi
