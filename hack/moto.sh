#!/usr/bin/env bash
# Installs moto's S3 server (the second S3 implementation the store tests run against, besides
# the in-process s3proxy) into a virtualenv under .tools/moto, pinned, and prints the path of
# its moto_server, so callers can do:  MOTO_SERVER=$(hack/moto.sh)
#
# Idempotent: when .tools/moto already has this version, it only prints the path.
set -euo pipefail

MOTO_VERSION=5.2.6

root=$(cd "$(dirname "$0")/.." && pwd)
venv=$root/.tools/moto
server=$venv/bin/moto_server

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'hack/moto.sh: %s\n' "$*" >&2; exit 1; }

installed_version() {
  [ -x "$venv/bin/python" ] || return 0
  "$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("moto"))' 2>/dev/null || true
}

if [ -x "$server" ] && [ "$(installed_version)" = "$MOTO_VERSION" ]; then
  printf '%s\n' "$server"
  exit 0
fi

python=${PYTHON:-}
if [ -z "$python" ]; then
  for p in python3.11 python3 python; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import sys; sys.exit(sys.version_info < (3, 9))' 2>/dev/null; then
      python=$p
      break
    fi
  done
fi
if [ -z "$python" ] || ! "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || die "no python 3.9+ with venv found: install python3 and python3-venv, or run as root"
  log "installing python3 and python3-venv with apt-get"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null
  python=python3
fi

log "installing moto[server]==$MOTO_VERSION into $venv"
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" >&2
got=$(installed_version)
[ "$got" = "$MOTO_VERSION" ] || die "expected moto $MOTO_VERSION in $venv, found '${got}'"
[ -x "$server" ] || die "moto $MOTO_VERSION installed, but $server is missing"
printf '%s\n' "$server"
