#!/usr/bin/env bash
# Schedule engine benchmark (issue 4): 1,000 SnapshotSchedules over 100 instances on the
# in-memory API server, against an in-process fake LXD server (HTTPS, creates snapshots
# instantly), with the operator wired as in production. Prints heap after GC and CPU per
# simulated hour (injected clock), then the real-time firing delay (p50/p99/max) of
# every-minute schedules. A benchmark, not a test: run by hand, results go to docs/benchmarks.md.
#
#   bench/schedule-bench.sh                                  # both phases, defaults
#   bench/schedule-bench.sh --phase=sim --sim-hours=12       # simulated time only
#   bench/schedule-bench.sh --phase=real --real-minutes=3    # real-time firing delay only
#   options: --schedules=1000 --instances=100 --sim-hours=24 --real-minutes=3 --warmup-minutes=2
#            --real-spread=1 (1/N of the schedules fire each minute) --real-every=1 (all of them
#            fire together every N minutes) --debug=logger,...
#            --watch-children=true (also time when the bench's own watch sees each child)
#            --max-wait-ms=1000 (scheduleMaxWait in the simulated phase) --log-level=WARN
#            --cron-mix=all|subdaily (subdaily: every schedule plateaus within 6 simulated hours)
#   env:     BENCH_HEAP=1g (JVM -Xmx), MVN_OFFLINE=1 (pass -o to Maven),
#            BENCH_JAVA_OPTS (more JVM options, e.g. -Xlog:gc:file=gc.log or a flight recording)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${JAVA_HOME:-}" ]; then
  for d in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-21-jdk-amd64 /usr/lib/jvm/java-21-openjdk-amd64; do
    if [ -x "$d/bin/java" ]; then export JAVA_HOME=$d; break; fi
  done
fi
[ -n "${JAVA_HOME:-}" ] || { echo "needs a JDK 21 or newer (set JAVA_HOME)" >&2; exit 1; }
mvn_opts=(-B -q)
[ "${MVN_OFFLINE:-0}" = 1 ] && mvn_opts+=(-o)
./mvnw "${mvn_opts[@]}" test-compile
./mvnw "${mvn_opts[@]}" dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath >/dev/null
cp="target/test-classes:target/classes:$(cat target/bench.classpath)"
exec "$JAVA_HOME/bin/java" -Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener -Xmx"${BENCH_HEAP:-1g}" -XX:+UseG1GC ${BENCH_JAVA_OPTS:-} -cp "$cp" io.lxdbackup.operator.bench.ScheduleBench "$@"
