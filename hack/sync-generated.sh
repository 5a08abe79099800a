#!/usr/bin/env bash
# After changing the API classes or the dashboard: regenerate crds/ (Maven), copy them and
# dashboards/ into the Helm chart and re-render deploy/. CI (hack/check-generated.sh) fails when any of these is stale.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${JAVA_HOME:-}" ] && [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
./mvnw -B -q -ntp process-classes
cp crds/*.yml helm/lxd-backup-operator/crds/
# the Grafana dashboard: edited in dashboards/, embedded by the chart's ConfigMap
mkdir -p helm/lxd-backup-operator/dashboards
cp dashboards/*.json helm/lxd-backup-operator/dashboards/
hack/render-deploy.sh >/dev/null
echo "crds/, the chart's crds/ and dashboards/, and deploy/ are up to date"
