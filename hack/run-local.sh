#!/usr/bin/env bash
# Runs the operator with no cluster: an in-memory Kubernetes API (for trying it out; nothing
# is persisted), a kubeconfig in local-data/kubeconfig, and an LxdRemote "local" pointing at
# the local LXD unix socket when one exists. Builds the jar first when needed.
#
#   hack/run-local.sh [--api-port=6443] [--http-port=8080] [--lxd-socket=/path/unix.socket]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${JAVA_HOME:-}" ]; then
  for d in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-21-jdk-amd64 /usr/lib/jvm/java-25-openjdk-amd64 /usr/lib/jvm/java-21-openjdk-amd64; do
    if [ -x "$d/bin/java" ]; then export JAVA_HOME=$d; break; fi
  done
fi
if [ -z "${JAVA_HOME:-}" ]; then
  echo "needs a JDK 21 or newer (set JAVA_HOME)" >&2
  exit 1
fi
jar=target/lxd-backup-operator.jar
if [ ! -f "$jar" ] || [ -n "$(find src pom.xml crds -newer "$jar" -print -quit)" ]; then
  ./mvnw -B -q -ntp -DskipTests package
fi
exec "$JAVA_HOME/bin/java" -jar "$jar" local "$@"
