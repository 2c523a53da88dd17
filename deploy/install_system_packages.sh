#!/usr/bin/env bash
# Debian packages the local stack and the tests need; installs only what is missing.
set -euo pipefail
missing=()
[ -x /usr/lib/postgresql/15/bin/postgres ] || [ -x /usr/lib/postgresql/16/bin/postgres ] \
  || missing+=(postgresql)
for pkg in "$@"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Please install these Debian packages: ${missing[*]}" >&2
    exit 1
  fi
  echo "Installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
