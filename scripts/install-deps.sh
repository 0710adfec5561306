#!/usr/bin/env bash
# Installs everything strata needs to build and test on Debian bookworm (run as root). Quick when
# everything is already there.
set -euo pipefail
PKGS=(postgresql-15 postgresql-server-dev-15 postgresql-15-pgtap pgbouncer libzstd-dev zstd
      cmake g++ make pkg-config libgtest-dev libbenchmark-dev clang libclang-rt-14-dev
      libipc-run-perl python3 procps util-linux)
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
