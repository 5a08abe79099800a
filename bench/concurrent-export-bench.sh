#!/usr/bin/env bash
# Concurrent-transfer benchmark (prints figures; not a test). On the real LXD rig daemon A and one
# s3proxy: COUNT InstanceExports of one SIZE MiB instance (half random, half text), or with
# KIND=restore COUNT InstanceRestores of one export of it (made first, not timed), (1) created all
# at once and (2) one after another, each time against a fresh operator process: java -jar
# target/lxd-backup-operator.jar with the chart's JVM flags (-XX:MaxRAM=512m standing in for the
# container's 512Mi limit, -XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError; override with
# OPERATOR_JVM) and the operator's default transfer limits (LXDBACKUP_* variables change them),
# against the in-memory API server the driver runs (ExportBench many). Each operator first makes
# one export that is not timed: its code warmed up (a transfer's cost, not the JIT's after a
# start), and the object the restores read.
# Measured from outside the operator's process, so the figures are the operator's alone: peak
# RSS (/proc/<pid>/status, every 50 ms), peak heap (jstat -gc, every 250 ms), total time, and the
# operator's own CPU (utime + stime from /proc/<pid>/stat) in seconds, per GiB of instance data
# moved (COUNT x SIZE), on average (CPUs in use) and over its busiest 10 s, beside the CPU LXD
# daemon A (with the processes it ran) and the s3proxy used meanwhile; together/one-by-one as
# ratios, and the load average at start and end.
# When systemd-run is available the operator also runs in a transient scope with MemoryMax=512M,
# the same cgroup limit a pod gets (NO_CGROUP=1 skips that).
#
#   bench/concurrent-export-bench.sh               # COUNT=8 SIZE=512 KIND=export
#   COUNT=16 SIZE=128 bench/concurrent-export-bench.sh
#   KIND=restore COUNT=4 SIZE=256 bench/concurrent-export-bench.sh
#   LXDBACKUP_TRANSFER_MEMORY=96Mi MODES=together bench/concurrent-export-bench.sh   # other limits, one mode
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
COUNT=${COUNT:-8}
MODES=${MODES:-"together oneByOne"}
SIZE=${SIZE:-512}
KIND=${KIND:-export}
OPERATOR_JVM=${OPERATOR_JVM:-"-XX:MaxRAM=512m -XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"}
RIG=${LXD_RIG_DIR:-/var/tmp/lxd-rig}/rig.properties
[ -r "$RIG" ] || { echo "no LXD rig ($RIG); run: sudo hack/lxd-test-env.sh up" >&2; exit 1; }
prop() { sed -n "s/^$1=//p" "$RIG"; }
export LXD_DIR=$(dirname "$(prop a.socket)")
IMAGE=$(prop image)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

work=$(mktemp -d /var/tmp/concurrent-bench.XXXXXX)
s3pid= envpid= oppid=
instance=
cleanup() {
  [ -n "$oppid" ] && kill "$oppid" 2>/dev/null || true
  [ -n "$envpid" ] && kill "$envpid" 2>/dev/null || true
  if [ -n "${BENCH_LOGS:-}" ]; then mkdir -p "$BENCH_LOGS" && cp "$work"/*.log "$work"/*.txt "$BENCH_LOGS"/ 2>/dev/null || true; fi
  [ -n "$s3pid" ] && kill "$s3pid" 2>/dev/null || true
  [ -n "$instance" ] && lxc delete -f "$instance" >/dev/null 2>&1 || true
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
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
lxdpid=$(cat "$LXD_DIR/rig.pid" 2>/dev/null || echo 0)

port=$(free_port)
ENDPOINT=http://127.0.0.1:$port
mkdir -p "$work/blobs/bench"
"$JAVA" -Xmx512m -cp "$CP" io.lxdbackup.operator.bench.ExportBench s3proxy "$port" "$work/blobs" >"$work/s3proxy.log" 2>&1 &
s3pid=$!
for _ in $(seq 100); do curl -s -o /dev/null "$ENDPOINT" && break; sleep 0.2; done

instance=cbench-$SIZE-$(date +%s | tail -c 6)$RANDOM
echo "==> instance $instance with $SIZE MiB (half random, half text)"
lxc init "$IMAGE" "$instance" -c security.privileged=true >/dev/null 2>&1
rootfs=$LXD_DIR/storage-pools/default/containers/$instance/rootfs
half=$(( SIZE / 2 ))
head -c "$((half << 20))" /dev/urandom >"$rootfs/root/random.bin"
yes "2026-11-07 12:00:00 host1 user=alice action=read path=/srv/data/1/abc status=200 latency_ms=12" \
  | head -c "$((half << 20))" >"$rootfs/root/text.log" || true

scope=()
if [ -z "${NO_CGROUP:-}" ] && command -v systemd-run >/dev/null && systemd-run --scope -q -p MemoryMax=512M true 2>/dev/null; then
  scope=(systemd-run --scope -q -p MemoryMax=512M -p MemorySwapMax=0)
  echo "==> operator in a cgroup scope with MemoryMax=512M"
else
  echo "==> no cgroup scope (systemd-run unavailable); the JVM flags alone size the heap"
fi
run() {
  rm -f "$work/kubeconfig" "$work/operator.pid"
  "$JAVA" -Xmx1g -cp "$CP" io.lxdbackup.operator.bench.ExportBench many "$work/kubeconfig" "$work/operator.pid" \
    "$ENDPOINT" bench "$instance" "$COUNT" "$1" "$KIND" "$SIZE" "$lxdpid" "$s3pid" >"$work/$1.txt" 2>"$work/driver-$1.log" &
  envpid=$!
  until grep -q '^READY' "$work/$1.txt" 2>/dev/null; do
    kill -0 "$envpid" 2>/dev/null || { tail -30 "$work/driver-$1.log" >&2; exit 1; }
    sleep 0.2
  done
  KUBECONFIG=$work/kubeconfig "${scope[@]}" "$JAVA" $OPERATOR_JVM -jar "$work/op.jar" --http-port="$(free_port)" \
    --leader-election=false >"$work/operator-$1.log" 2>&1 &
  oppid=$!
  echo "$oppid" >"$work/operator.pid"
  while kill -0 "$envpid" 2>/dev/null; do
    kill -0 "$oppid" 2>/dev/null || { echo "the operator ended (exit on OOM?); log:" >&2; tail -30 "$work/operator-$1.log" >&2; exit 1; }
    sleep 1
  done
  wait "$envpid" || true; envpid=
  kill "$oppid" 2>/dev/null; wait "$oppid" 2>/dev/null || true; oppid=
  grep -h '^MANY' "$work/$1.txt" | sed 's/^MANY/   /'
  grep -q "completed=$COUNT " "$work/$1.txt" || { echo "not all $COUNT ${KIND}s completed ($1); logs:" >&2; tail -30 "$work/driver-$1.log" >&2; tail -50 "$work/operator-$1.log" >&2; exit 1; }
}
for mode in $MODES; do
  echo "==> $COUNT ${KIND}s, $mode"
  run "$mode"
done

field() { [ -r "$work/$1.txt" ] && sed -n "/^MANY/s/.*$2=\([0-9.]*\).*/\1/p" "$work/$1.txt" || echo "-"; }
echo
echo "LXD $(prop lxd.version), $(nproc) CPUs, $COUNT ${KIND}s of $SIZE MiB ($(field "${MODES%% *}" gib) GiB), JVM: $OPERATOR_JVM"
echo "load average (1, 5, 15 min) at start $load_start, at end $(cut -d' ' -f1-3 /proc/loadavg)"
grep -h '^transfer limits' "$work"/*.txt | head -1
cols=(seconds rssPeakMiB heapPeakMiB cpuSeconds cpuPerGiB cpusAvg cpusPeak10s lxdCpuSeconds s3CpuSeconds)
printf '%-10s %9s %9s %9s %9s %9s %9s %9s %9s %9s\n' "" "time (s)" "RSS peak" "heap peak" "op CPU s" "CPU s/GiB" "op CPUs" "peak 10s" "LXD CPU s" "S3 CPU s"
for mode in $MODES; do
  printf '%-10s' "$mode"; for c in "${cols[@]}"; do printf ' %9s' "$(field "$mode" "$c")"; done; echo
done
if [ "$MODES" = "together oneByOne" ]; then
  ratio() { printf "%.2f" "$(echo "scale=3; $(field together "$1") / $(field oneByOne "$1")" | bc)"; }
  printf '%-10s' ratio; for c in "${cols[@]}"; do printf ' %9s' "$(ratio "$c")"; done; echo
  echo "queued seen (together): $(field together queuedSeen) of $COUNT ${KIND}s"
fi
echo "(RSS and heap in MiB; op CPUs = the operator's CPU seconds / time, of the $(nproc) CPUs it shares with LXD and the store)"
