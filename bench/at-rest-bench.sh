#!/usr/bin/env bash
# At-rest benchmark (prints figures; not a test): what an operator costs when nothing is due.
# Driver: src/test/java/io/lxdbackup/operator/bench/AtRestBench.java, in its own JVM: the
# in-memory API server, one fake LXD server per LxdRemote (bench/FakeLxdServer: HTTPS, pinned
# certificate, counts the calls), an s3proxy for one BackupStore, and REMOTES LxdRemotes,
# SNAPSHOTS InstanceSnapshots (already Ready, their snapshots on the fake servers), SCHEDULES
# SnapshotSchedules (cron "0 0 1 1 *": not due for months) and EXPORTS InstanceExports (already
# Completed). The operator runs as in production, java -jar target/lxd-backup-operator.jar with
# the chart's JVM flags (-XX:MaxRAM=512m -XX:MaxRAMPercentage=75, OPERATOR_JVM), against that
# API server: its heap and RSS are its own. Requests are counted where they arrive: the API
# server's journal (every request, watches included) and the fake LXD servers.
# Figures, per round (one round per value of ROUNDS = number of snapshots):
#   ready       process start to /readyz
#   all once    process start to every resource reconciled once (snapshots: each read back
#               from LXD once; schedules: each status written; remotes: each probed)
#   settled     process start to the end of the first minute without a snapshot status written
#               (the first check's writes trail its reads)
#   idle        API requests and LXD requests per minute over IDLE_MINUTES from then on
#   memory      heap used after a full GC (jcmd GC.run; GC.heap_info) and RSS, at the end
# Memory per 1,000 snapshots: the heap difference between the rounds, per 1,000 snapshots.
# Target: idle requests grow with the remotes (their probes), not with snapshots or exports.
#
#   bench/at-rest-bench.sh                     # ROUNDS="10000 0" REMOTES=50 SCHEDULES=1000 EXPORTS=200 IDLE_MINUTES=11
#   ROUNDS=200 REMOTES=5 SCHEDULES=20 EXPORTS=10 IDLE_MINUTES=1 bench/at-rest-bench.sh   # a quick look
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
ROUNDS=${ROUNDS:-"10000 0"}
REMOTES=${REMOTES:-50}
SCHEDULES=${SCHEDULES:-1000}
EXPORTS=${EXPORTS:-200}
IDLE_MINUTES=${IDLE_MINUTES:-11}
OPERATOR_JVM=${OPERATOR_JVM:-"-XX:MaxRAM=512m -XX:MaxRAMPercentage=75"}
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

work=$(mktemp -d /var/tmp/at-rest-bench.XXXXXX)
envpid= oppid=
cleanup() {
  [ -n "$oppid" ] && kill "$oppid" 2>/dev/null || true
  [ -n "$envpid" ] && kill "$envpid" 2>/dev/null || true
  if [ -n "${BENCH_LOGS:-}" ]; then mkdir -p "$BENCH_LOGS" && cp "$work"/*.log "$BENCH_LOGS"/ 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "==> building (jar, test classes and classpath)"
./mvnw -B -q -o package -DskipTests -Dcheck.skip dependency:build-classpath -Dmdep.outputFile="$work/cp" -Dmdep.includeScope=test >/dev/null
# copies: a build in the same tree while this runs must not change what runs
cp target/lxd-backup-operator.jar "$work/op.jar"
mkdir -p "$work/classes" "$work/test-classes"
cp -r target/classes/. "$work/classes/"; cp -r target/test-classes/. "$work/test-classes/"
CP="$work/test-classes:$work/classes:$(cat "$work/cp")"
JAVA="$JAVA_HOME/bin/java"
now() { date +%s.%N; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
last() { grep '^T ' "$work/env-$1.log" 2>/dev/null | tail -1; }
field() { sed -n "s/.* $2=\([0-9]*\).*/\1/p" <<<"$1"; }

declare -A R
for snaps in $ROUNDS; do
  echo "==> round: $REMOTES remotes, $snaps snapshots, $SCHEDULES schedules, $EXPORTS exports"
  "$JAVA" -Xmx3g -cp "$CP" io.lxdbackup.operator.bench.AtRestBench env "$work/kubeconfig" "$REMOTES" "$snaps" "$SCHEDULES" "$EXPORTS" \
    >"$work/env-$snaps.log" 2>&1 &
  envpid=$!
  until grep -q '^READY' "$work/env-$snaps.log" 2>/dev/null; do
    kill -0 "$envpid" 2>/dev/null || { tail -30 "$work/env-$snaps.log" >&2; exit 1; }
    sleep 1
  done
  hp=$(free_port)
  t0=$(now)
  KUBECONFIG=$work/kubeconfig "$JAVA" $OPERATOR_JVM -jar "$work/op.jar" --http-port="$hp" --leader-election=false \
    >"$work/operator-$snaps.log" 2>&1 &
  oppid=$!
  until curl -sf "http://127.0.0.1:$hp/readyz" >/dev/null; do
    kill -0 "$oppid" 2>/dev/null || { tail -30 "$work/operator-$snaps.log" >&2; exit 1; }
    sleep 0.1
  done
  tready=$(printf %.1f "$(echo "$(now) - $t0" | bc)")
  echo "    ready after ${tready}s"
  # every resource reconciled once (polled every second; the driver reports every 10 s, so
  # the figure is rounded up to its next report)
  tall=
  for _ in $(seq 1200); do
    l=$(last "$snaps")
    if [ -n "$l" ] && [ "$(field "$l" snapshotsRead)" -ge "$snaps" ] && [ "$(field "$l" schedulesWritten)" -ge "$SCHEDULES" ] \
        && [ "$(field "$l" remotesProbed)" -ge "$REMOTES" ]; then
      tall=$(printf %.1f "$(echo "$(now) - $t0" | bc)"); break
    fi
    sleep 1
  done
  echo "    all reconciled once after ${tall:-(not within 20 min)}s: $(last "$snaps")"
  # the first check's status writes trail the reads (one listing answers many snapshots): the
  # idle window starts after a minute in which no further snapshot had its status written
  tsettled=
  for _ in $(seq 20); do
    w0=$(field "$(last "$snaps")" snapshotsWritten); sleep 60; w1=$(field "$(last "$snaps")" snapshotsWritten)
    [ "$w0" = "$w1" ] && { tsettled=$(printf %.1f "$(echo "$(now) - $t0" | bc)"); break; }
  done
  echo "    status writes settled after ${tsettled:-(not within 20 min)}s: $(last "$snaps")"
  a0=$(last "$snaps")
  sleep $((IDLE_MINUTES * 60))
  a1=$(last "$snaps")
  secs=$(( $(field "$a1" s) - $(field "$a0" s) ))
  apim=$(echo "scale=1; ($(field "$a1" api) - $(field "$a0" api)) * 60 / $secs" | bc)
  lxdm=$(echo "scale=1; ($(field "$a1" lxd) - $(field "$a0" lxd)) * 60 / $secs" | bc)
  "$JAVA_HOME/bin/jcmd" "$oppid" GC.run >/dev/null; sleep 2
  heap=$("$JAVA_HOME/bin/jcmd" "$oppid" GC.heap_info | sed -n 's/.*used \([0-9]*\)K.*/\1/p' | head -1)
  rss=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$oppid/status")
  grep '^MINUTE' "$work/env-$snaps.log" | tail -"$((IDLE_MINUTES < 3 ? IDLE_MINUTES : 3))" | sed 's/^/    /'
  R[$snaps]="$tready ${tall:-n/a} ${tsettled:-n/a} $apim $lxdm $((heap / 1024)) $((rss / 1024)) $secs"
  kill "$oppid"; wait "$oppid" 2>/dev/null || true; oppid=
  kill "$envpid"; wait "$envpid" 2>/dev/null || true; envpid=
done

echo
echo "$(nproc) CPUs, $REMOTES remotes, $SCHEDULES schedules (not due), $EXPORTS exports (Completed); idle over $IDLE_MINUTES min;"
echo "load average (1, 5, 15 min) at start $load_start, at end $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%10s %10s %13s %12s %14s %14s %10s %10s\n' snapshots "ready (s)" "all once (s)" "settled (s)" "API req/min" "LXD req/min" "heap MiB" "RSS MiB"
for snaps in $ROUNDS; do
  read -r tr ta tse am lm h r s <<<"${R[$snaps]}"
  printf '%10s %10s %13s %12s %14s %14s %10s %10s\n' "$snaps" "$tr" "$ta" "$tse" "$am" "$lm" "$h" "$r"
done
set -- $ROUNDS
if [ $# -ge 2 ] && [ "$1" != "$2" ]; then
  read -r _ _ _ _ _ h1 _ <<<"${R[$1]}"; read -r _ _ _ _ _ h2 _ <<<"${R[$2]}"
  echo "heap per 1,000 snapshots: $(echo "scale=1; ($h1 - $h2) * 1000 / ($1 - $2)" | bc) MiB"
fi
