#!/usr/bin/env bash
# Builds the Debian package postgresql-15-strata_<version>_<arch>.deb in build/deb/ (`make deb`):
# the files `make install` puts under /usr/lib/postgresql/15 and /usr/share/postgresql/15, as every
# postgresql-15-* package installs them, plus the documentation. Install it with
#   apt install ./build/deb/postgresql-15-strata_<version>_<arch>.deb
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
PG_MAJOR=$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
VERSION=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$ROOT/strata.control")
ARCH=$(dpkg --print-architecture)
PKG=postgresql-$PG_MAJOR-strata
OUT=$ROOT/build/deb
ROOTFS=$OUT/root

make -C "$ROOT" -s -j"$(nproc)" PG_CONFIG="$PG_CONFIG" >/dev/null
rm -rf "$ROOTFS"
mkdir -p "$ROOTFS/DEBIAN"
make -C "$ROOT" -s install DESTDIR="$ROOTFS" PG_CONFIG="$PG_CONFIG" >/dev/null
strip --strip-unneeded "$ROOTFS$("$PG_CONFIG" --pkglibdir)/strata.so"
DOC=$ROOTFS/usr/share/doc/$PKG
install -D -m 644 "$ROOT/README.md" "$DOC/README.md"
for f in ARCHITECTURE COMPATIBILITY JOBS; do
  [ -f "$ROOT/docs/$f.md" ] && install -m 644 "$ROOT/docs/$f.md" "$DOC/$f.md"
done
printf 'strata: a time-series extension for PostgreSQL.\nSee README.md for the source and its terms.\n' >"$DOC/copyright"
find "$ROOTFS" -type d -exec chmod 755 {} +
find "$ROOTFS" -type f ! -path "$ROOTFS/DEBIAN/*" -exec chmod go-w {} +

# The library's shared-library dependencies, as the packages that provide them on this system.
depends="postgresql-$PG_MAJOR"
for lib in $(ldd "$ROOTFS$("$PG_CONFIG" --pkglibdir)/strata.so" | awk '/=>/ { print $3 }'); do
  # (dpkg knows a file by the path its package installed: try the link, then its target)
  pkg=$( { dpkg -S "$lib" || dpkg -S "$(readlink -f "$lib")"; } 2>/dev/null | head -1 | cut -d: -f1) || true
  if [ -n "$pkg" ] && ! grep -qx "$pkg" <<<"${depends//, /$'\n'}"; then depends="$depends, $pkg"; fi
done

cat >"$ROOTFS/DEBIAN/control" <<CONTROL
Package: $PKG
Version: $VERSION
Architecture: $ARCH
Maintainer: strata developers <strata@localhost>
Section: database
Priority: optional
Installed-Size: $(du -sk --exclude=DEBIAN "$ROOTFS" | cut -f1)
Depends: $depends
Description: time-series hypertables, columnstore and jobs for PostgreSQL $PG_MAJOR
 strata turns PostgreSQL into a time-series database: hypertables partitioned
 into time chunks, chunk exclusion, background jobs and retention, dashboard
 aggregates, following TimescaleDB's SQL API. Add strata to
 shared_preload_libraries, then CREATE EXTENSION strata.
CONTROL
mkdir -p "$OUT"
DEB=$OUT/${PKG}_${VERSION}_${ARCH}.deb
dpkg-deb --root-owner-group -Zxz --build "$ROOTFS" "$DEB" >/dev/null
echo "$DEB"
