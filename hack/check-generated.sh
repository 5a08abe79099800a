#!/usr/bin/env bash
# Checks everything generated or packaged from the sources (CI runs it after the Maven build):
#   a) helm lint, also --strict, with default and non-default values
#   b) helm template with several value sets, and the rendered objects asserted by
#      hack/check-manifests.py: hardened Deployment, PDB/ServiceMonitor/Roles only when wanted,
#      RBAC rules exactly the operator's least-privilege set, no wildcards
#   c) the chart's crds/ byte-identical to the top-level crds/ (written by the Maven build)
#   d) deploy/ identical to a fresh hack/render-deploy.sh
#   c') the chart's dashboards/ byte-identical to the top-level dashboards/
#   e) the Argo CD health scripts of docs/operations.md, run with Lua 5.4 against objects in every phase
# Needs python3 with PyYAML (Debian: python3-yaml) and lua5.4 (installed with apt-get when
# missing and root).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

CHART=helm/lxd-backup-operator
failures=0
log() { printf '==> %s\n' "$*"; }
problem() { printf 'FAIL: %s\n' "$*" >&2; failures=$((failures + 1)); }

eval "$(hack/tools.sh)"

# --- python3 with PyYAML ----------------------------------------------------------------
PYTHON=
for py in python3 /usr/bin/python3; do
  if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import yaml' 2>/dev/null; then PYTHON=$py; break; fi
done
if [ -z "$PYTHON" ]; then
  [ "$(id -u)" = 0 ] || { echo "FAIL: python3 with PyYAML is needed (apt-get install python3-yaml)" >&2; exit 1; }
  log "installing python3-yaml"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-yaml >/dev/null
  PYTHON=/usr/bin/python3
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- a) lint ----------------------------------------------------------------------------
NONDEFAULT=(--set 'watchNamespaces={a,b}' --set replicas=2 --set metrics.serviceMonitor.enabled=true)
log "helm lint $CHART"
"$HELM" lint "$CHART" >"$tmp/lint" 2>&1 || { cat "$tmp/lint" >&2; problem "helm lint"; }
"$HELM" lint --strict "$CHART" >"$tmp/lint" 2>&1 || { cat "$tmp/lint" >&2; problem "helm lint --strict"; }
"$HELM" lint --strict "$CHART" "${NONDEFAULT[@]}" >"$tmp/lint" 2>&1 \
  || { cat "$tmp/lint" >&2; problem "helm lint --strict with ${NONDEFAULT[*]}"; }

# --- b) render and assert ---------------------------------------------------------------
# render NAME CHECK-OPTIONS... -- HELM-OPTIONS...
render() {
  local name=$1; shift
  local check=()
  while [ "$1" != -- ]; do check+=("$1"); shift; done
  shift
  if ! "$HELM" template lxd-backup "$CHART" "$@" >"$tmp/$name.yaml" 2>"$tmp/$name.err"; then
    cat "$tmp/$name.err" >&2
    problem "helm template ($name) failed"
    return
  fi
  "$PYTHON" hack/check-manifests.py --label "$name" "${check[@]}" <"$tmp/$name.yaml" \
    || problem "rendered manifests ($name) are wrong (see above)"
}
# must_fail NAME HELM-OPTIONS...: values the chart has to refuse
must_fail() {
  local name=$1; shift
  if "$HELM" template lxd-backup "$CHART" "$@" >/dev/null 2>&1; then
    problem "helm template accepted $name ($*)"
  fi
}

log "helm template + assertions"
render default --release-namespace lxd-backup-operator \
  -- --namespace lxd-backup-operator
render namespaced-ha-monitored --release-namespace ops --watch a,b --replicas 2 --service-monitor \
  -- --namespace ops "${NONDEFAULT[@]}"
render no-leader-election --release-namespace ops --no-leader-election --log-level debug --metrics-port 9090 \
  --allow-ambient-credentials \
  -- --namespace ops --set leaderElection.enabled=false --set logLevel=debug --set metrics.port=9090 \
  --set allowAmbientCredentials=true
render scheduling-and-env --release-namespace ops --extra-env HTTPS_PROXY=http://proxy:3128 \
  --node-selector kubernetes.io/arch=amd64 --toleration dedicated=backup:NoSchedule \
  -- --namespace ops --set 'extraEnv[0].name=HTTPS_PROXY' --set 'extraEnv[0].value=http://proxy:3128' \
  --set 'nodeSelector.kubernetes\.io/arch=amd64' \
  --set 'tolerations[0].key=dedicated' --set 'tolerations[0].operator=Equal' \
  --set 'tolerations[0].value=backup' --set 'tolerations[0].effect=NoSchedule'
render alerts-and-dashboard --release-namespace ops --service-monitor --prometheus-rule \
  --grafana-dashboard dashboards/lxd-backup-operator.json \
  -- --namespace ops --set metrics.serviceMonitor.enabled=true --set metrics.prometheusRule.enabled=true \
  --set metrics.grafanaDashboard.enabled=true
"$HELM" lint --strict "$CHART" --set metrics.prometheusRule.enabled=true --set metrics.grafanaDashboard.enabled=true \
  >"$tmp/lint" 2>&1 || { cat "$tmp/lint" >&2; problem "helm lint --strict with the PrometheusRule and the dashboard"; }
must_fail "replicas=2 without leader election" --set replicas=2 --set leaderElection.enabled=false
must_fail "an unknown value (schema)" --set no.such.value=1
must_fail "a bad logLevel (schema)" --set logLevel=loud
must_fail "a non-boolean allowAmbientCredentials (schema)" --set-string allowAmbientCredentials=yes
must_fail "a bad watch namespace (schema)" --set 'watchNamespaces={Not_A_Namespace}'
must_fail "an unknown kind in maxAgeSeconds (schema)" --set metrics.prometheusRule.maxAgeSeconds.Backup=3600
must_fail "a bad notReadyFor (schema)" --set metrics.prometheusRule.notReadyFor=soon

# The assertions must be able to fail: feed them a widened and a weakened render.
if [ -s "$tmp/default.yaml" ]; then
  sed 's/verbs: \["get", "create"\]/verbs: ["get", "create", "list"]/' "$tmp/default.yaml" \
    | "$PYTHON" hack/check-manifests.py --release-namespace lxd-backup-operator >/dev/null 2>&1 \
    && problem "check-manifests.py accepted an extra secrets verb"
  sed 's/readOnlyRootFilesystem: true/readOnlyRootFilesystem: false/' "$tmp/default.yaml" \
    | "$PYTHON" hack/check-manifests.py --release-namespace lxd-backup-operator >/dev/null 2>&1 \
    && problem "check-manifests.py accepted a writable root filesystem"
  sed 's/verbs: \["list", "watch"\]/verbs: ["list", "watch", "delete"]/' "$tmp/default.yaml" \
    | "$PYTHON" hack/check-manifests.py --release-namespace lxd-backup-operator >/dev/null 2>&1 \
    && problem "check-manifests.py accepted delete on kinds the operator never deletes"
  { cat "$tmp/default.yaml"; cat <<'EOF'
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: lxd-backup-lxd-backup-operator-admin
  namespace: lxd-backup-operator
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-admin
subjects:
  - kind: ServiceAccount
    name: lxd-backup-lxd-backup-operator
    namespace: lxd-backup-operator
EOF
  } | "$PYTHON" hack/check-manifests.py --release-namespace lxd-backup-operator >/dev/null 2>&1 \
    && problem "check-manifests.py accepted a RoleBinding to cluster-admin"
  "$PYTHON" -c '
import sys, yaml
docs = [d for d in yaml.safe_load_all(sys.stdin) if d]
for d in docs:
    if d["kind"] == "ClusterRoleBinding":
        d["roleRef"]["name"] = "cluster-admin"
yaml.safe_dump_all(docs, sys.stdout)' <"$tmp/default.yaml" >"$tmp/retargeted.yaml"
  "$PYTHON" hack/check-manifests.py --release-namespace lxd-backup-operator <"$tmp/retargeted.yaml" >/dev/null 2>&1 \
    && problem "check-manifests.py accepted the ClusterRoleBinding pointing at cluster-admin"
  if [ -s "$tmp/alerts-and-dashboard.yaml" ]; then
    sed 's/"uid": "lxd-backup-operator"/"uid": "changed"/' "$tmp/alerts-and-dashboard.yaml" \
      | "$PYTHON" hack/check-manifests.py --release-namespace ops --service-monitor --prometheus-rule \
        --grafana-dashboard dashboards/lxd-backup-operator.json >/dev/null 2>&1 \
      && problem "check-manifests.py accepted a dashboard ConfigMap that differs from dashboards/"
    sed 's/severity: critical/severity: page/' "$tmp/alerts-and-dashboard.yaml" \
      | "$PYTHON" hack/check-manifests.py --release-namespace ops --service-monitor --prometheus-rule \
        --grafana-dashboard dashboards/lxd-backup-operator.json >/dev/null 2>&1 \
      && problem "check-manifests.py accepted an alert without a known severity"
  fi
  "$PYTHON" hack/check-manifests.py --release-namespace lxd-backup-operator --toleration dedicated=backup:NoSchedule \
    <"$tmp/default.yaml" >/dev/null 2>&1 \
    && problem "check-manifests.py accepted a render without the toleration it was asked for"
fi

# --- c) chart CRDs == generated CRDs ------------------------------------------------------
log "chart crds/ == crds/"
if ! diff -r crds "$CHART/crds" >"$tmp/crds.diff"; then
  head -n 40 "$tmp/crds.diff" >&2
  problem "$CHART/crds differs from crds/: run  cp crds/*.yml $CHART/crds/ && hack/render-deploy.sh"
fi

# --- c') chart dashboards/ == dashboards/ -------------------------------------------------
log "chart dashboards/ == dashboards/"
if ! diff -r dashboards "$CHART/dashboards" >"$tmp/dashboards.diff"; then
  head -n 40 "$tmp/dashboards.diff" >&2
  problem "$CHART/dashboards differs from dashboards/: run  hack/sync-generated.sh  (or cp dashboards/*.json $CHART/dashboards/)"
fi

# --- d) deploy/ == fresh render -----------------------------------------------------------
log "deploy/ == hack/render-deploy.sh"
hack/render-deploy.sh "$tmp/deploy"
if ! diff -r deploy "$tmp/deploy" >"$tmp/deploy.diff"; then
  head -n 40 "$tmp/deploy.diff" >&2
  problem "deploy/ is stale: run hack/render-deploy.sh and commit deploy/"
fi
"$PYTHON" hack/check-manifests.py --label deploy/operator.yaml --release-namespace lxd-backup-operator \
  <deploy/operator.yaml || problem "deploy/operator.yaml is wrong (see above)"
want=$(ls crds/*.yml | wc -l)
got=$("$PYTHON" -c 'import sys, yaml; print(sum(1 for d in yaml.safe_load_all(sys.stdin) if d and d.get("kind") == "CustomResourceDefinition"))' <deploy/crds.yaml)
[ "$got" = "$want" ] || problem "deploy/crds.yaml has $got CRDs, crds/ has $want"

# --- e) the Argo CD health scripts of docs/operations.md, run with Lua against sample objects -----------
log "Argo CD health scripts (Lua)"
LUA=
for l in lua5.4 lua; do
  if command -v "$l" >/dev/null 2>&1; then LUA=$l; break; fi
done
if [ -z "$LUA" ]; then
  [ "$(id -u)" = 0 ] || { echo "FAIL: lua5.4 is needed (apt-get install lua5.4)" >&2; exit 1; }
  log "installing lua5.4"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq lua5.4 >/dev/null
  LUA=lua5.4
fi
"$PYTHON" hack/check-argocd-health.py --lua "$LUA" || problem "the Argo CD health scripts of docs/operations.md (see above)"
# ... and the check must be able to fail: a script without the nil guard on reasons
sed 's/(c.reason or phase)/c.reason/' docs/operations.md >"$tmp/README-unguarded.md"
"$PYTHON" hack/check-argocd-health.py --lua "$LUA" --readme "$tmp/README-unguarded.md" >/dev/null 2>&1 \
  && problem "check-argocd-health.py accepted scripts that fail on a condition without reason"

if [ "$failures" -gt 0 ]; then
  echo "check-generated: $failures check(s) failed" >&2
  exit 1
fi
log "generated files, chart and manifests are consistent"
