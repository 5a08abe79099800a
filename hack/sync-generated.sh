#!/usr/bin/env bash
# After changing the API classes: regenerate crds/ (Maven), copy them into the Helm chart and
# re-render deploy/. CI (hack/check-generated.sh) fails when any of these is stale.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${JAVA_HOME:-}" ] && [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
./mvnw -B -q -ntp process-classes
cp crds/*.yml helm/lxd-backup-operator/crds/
hack/render-deploy.sh >/dev/null
echo "crds/, helm/lxd-backup-operator/crds/ and deploy/ are up to date"
