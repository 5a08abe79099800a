#!/usr/bin/env bash
# The whole test suite on a fresh Debian machine (as root): installs what the tests need,
# starts the real-LXD rig (two LXD daemons) and a real Kubernetes control plane (etcd,
# kube-apiserver, kube-controller-manager built from their Go modules), runs every test,
# checks that the generated CRDs and the chart/deploy copies are current, tests the chart's alerts
# with promtool (installs Debian's prometheus package for it), and tears both down.
#
#   sudo hack/test.sh            # everything
#   KEEP_RIG=1 hack/test.sh      # leave the LXD daemons and the control plane running afterwards
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '==> %s\n' "$*"; }
die() { printf 'hack/test.sh: %s\n' "$*" >&2; exit 1; }

# --- Java 21+ -------------------------------------------------------------------------
# shellcheck source=hack/lib/java.sh
. hack/lib/java.sh
pick_java install
log "JDK: $JAVA_DESCRIPTION"

# --- independent S3 client for checking what the operator wrote -------------------------
if ! command -v aws >/dev/null 2>&1 && ! command -v rclone >/dev/null 2>&1; then
  log "installing rclone (independent S3 client used by the store tests)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rclone >/dev/null
fi

# --- moto: the second S3 implementation the store tests run against (besides s3proxy) -------
log "installing moto (pinned, into .tools/moto) unless present"
MOTO_SERVER=$(hack/moto.sh)
export MOTO_SERVER

# --- the real-LXD rig and the real Kubernetes control plane -----------------------------------
# The trap comes first: a rig that fails half way through 'up' is torn down too.
if [ -z "${KEEP_RIG:-}" ]; then
  trap 'log "stopping the test rigs"; hack/kube-test-env.sh down --purge >/dev/null 2>&1 || true; hack/lxd-test-env.sh down >/dev/null 2>&1 || true' EXIT
fi
log "starting the LXD test rig"
hack/lxd-test-env.sh up
# etcd, kube-apiserver and kube-controller-manager, built from their Go modules (cached after
# the first run); a fresh etcd each run
log "starting the Kubernetes control plane"
hack/kube-test-env.sh down --purge >/dev/null 2>&1 || true
hack/kube-test-env.sh up

# --- build and test ---------------------------------------------------------------------
# Missing rigs fail the tests instead of skipping them.
export LXD_RIG_REQUIRED=true KUBE_RIG_REQUIRED=true
log "building and running all tests (unit, real-LXD, then end to end against the control plane)"
./mvnw -B -ntp verify

# --- generated files must be committed --------------------------------------------------
log "checking that crds/ is up to date"
if ! git diff --exit-code --stat -- crds/; then
  echo "crds/ is stale: run ./mvnw process-classes and commit crds/" >&2
  exit 1
fi
if [ -n "$(git status --porcelain -- crds/)" ]; then
  echo "crds/ has files not committed:" >&2
  git status --porcelain -- crds/ >&2
  exit 1
fi
log "checking the chart, deploy/ and the rendered manifests"
bash hack/check-generated.sh
log "checking the chart's alerts with promtool"
bash hack/test-alerts.sh
log "all tests passed"
