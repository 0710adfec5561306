#!/usr/bin/env bash
# make deb builds postgresql-15-strata_<version>_<arch>.deb with the files `make install` installs
# (library, control files, install and update scripts, the compat extension) in PostgreSQL's
# directories, and package metadata that names its dependencies. The package is inspected, not
# installed (the test must not change the system).
source "$(dirname "$0")/../../scripts/lib.sh"
fail() { echo "FAIL: $*"; echo FAIL; exit 1; }
VERSION=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$ROOT/strata.control")
ARCH=$(dpkg --print-architecture)
deb=$(make -s -C "$ROOT" deb PG_CONFIG="$PG_CONFIG" | tail -1)
[ "$deb" = "$ROOT/build/deb/postgresql-15-strata_${VERSION}_${ARCH}.deb" ] || fail "unexpected package path: $deb"
[ -f "$deb" ] || fail "no package built"
echo "ok: built $(basename "$deb")"
[ "$(dpkg-deb -f "$deb" Package)" = postgresql-15-strata ] || fail "package name"
[ "$(dpkg-deb -f "$deb" Version)" = "$VERSION" ] || fail "version"
dpkg-deb -f "$deb" Depends | grep -q 'postgresql-15' || fail "does not depend on postgresql-15"
dpkg-deb -f "$deb" Depends | grep -q 'libzstd' || fail "does not depend on libzstd"
echo "ok: metadata ($(dpkg-deb -f "$deb" Depends))"
files=$(dpkg-deb -c "$deb" | awk '{ print $6 }')
for want in "./$SYS_PKGLIBDIR/strata.so" "./$SYS_SHAREDIR/extension/strata.control" \
            "./$SYS_SHAREDIR/extension/strata--$VERSION.sql" \
            "./$SYS_SHAREDIR/extension/strata_timescaledb_compat.control" \
            "./usr/share/doc/postgresql-15-strata/README.md"; do
  grep -qx "${want//\/\//\/}" <<<"$files" || fail "missing $want"
done
for f in "$ROOT"/src/sql/updates/strata--*--*.sql.in; do
  [ -f "$f" ] || continue
  grep -qx "./${SYS_SHAREDIR#/}/extension/$(basename "$f" .in)" <<<"$files" || fail "missing update script $(basename "$f" .in)"
done
echo "ok: library, control files, install and update scripts, compat extension, docs"
! grep -q '^\./usr/local' <<<"$files" || fail "files outside PostgreSQL's directories"
owners=$(dpkg-deb -c "$deb" | awk '{ print $2 }' | sort -u)
[ "$owners" = root/root ] || fail "files not owned by root: $owners"
# The packaged library is the built one (stripped) and loads the same symbols.
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
dpkg-deb -x "$deb" "$dir"
# (a here-string: under pipefail, grep -q's early exit can kill nm with SIGPIPE on a long symbol list)
grep -q ' strata_first_sfunc$' <<<"$(nm -D --defined-only "$dir$SYS_PKGLIBDIR/strata.so")" || fail "packaged library lacks its entry points"
cmp -s "$dir$SYS_SHAREDIR/extension/strata--$VERSION.sql" "$ROOT/strata--$VERSION.sql" || fail "packaged install script differs"
echo "ok: contents"
echo PASS
