#!/usr/bin/env bash
# Concurrent-export benchmark (prints figures; not a test). On the real LXD rig daemon A and one
# s3proxy: COUNT InstanceExports of one SIZE MiB instance (half random, half text), (1) created
# all at once and (2) one after another, each time in a fresh operator JVM sized like the chart's
# container: 512Mi memory limit and its JAVA_TOOL_OPTIONS (-XX:MaxRAM=512m -XX:MaxRAMPercentage=75,
# -XX:+ExitOnOutOfMemoryError; override with OPERATOR_JVM), the operator's default transfer limits.
# Prints peak RSS, peak heap and total time of both, and together/one-by-one as ratios.
# When systemd-run is available the JVM also runs in a transient scope with MemoryMax=512M, the
# same cgroup limit a pod gets (NO_CGROUP=1 skips that).
#
#   bench/concurrent-export-bench.sh               # COUNT=8 SIZE=512
#   COUNT=4 SIZE=256 bench/concurrent-export-bench.sh
#   LXDBACKUP_TRANSFER_MEMORY=96Mi MODES=together bench/concurrent-export-bench.sh   # other limits, one mode
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
COUNT=${COUNT:-8}
MODES=${MODES:-"together oneByOne"}
SIZE=${SIZE:-512}
OPERATOR_JVM=${OPERATOR_JVM:-"-XX:MaxRAM=512m -XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"}
RIG=${LXD_RIG_DIR:-/var/tmp/lxd-rig}/rig.properties
[ -r "$RIG" ] || { echo "no LXD rig ($RIG); run: sudo hack/lxd-test-env.sh up" >&2; exit 1; }
prop() { sed -n "s/^$1=//p" "$RIG"; }
export LXD_DIR=$(dirname "$(prop a.socket)")
IMAGE=$(prop image)

work=$(mktemp -d /var/tmp/concurrent-bench.XXXXXX)
s3pid=
instance=
cleanup() {
  [ -n "$s3pid" ] && kill "$s3pid" 2>/dev/null || true
  [ -n "$instance" ] && lxc delete -f "$instance" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "==> building (test classes and classpath)"
./mvnw -B -q -o test-compile dependency:build-classpath -Dmdep.outputFile="$work/cp" -Dmdep.includeScope=test >/dev/null
CP="target/test-classes:target/classes:$(cat "$work/cp")"
JAVA="$JAVA_HOME/bin/java"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
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
  echo "==> operator JVM in a cgroup scope with MemoryMax=512M"
else
  echo "==> no cgroup scope (systemd-run unavailable); the JVM flags alone size the heap"
fi
run() {
  "${scope[@]}" "$JAVA" $OPERATOR_JVM -cp "$CP" io.lxdbackup.operator.bench.ExportBench many "$ENDPOINT" bench "$instance" "$COUNT" "$1" \
    >"$work/$1.txt" 2>"$work/operator-$1.log"
  grep -h '^MANY' "$work/$1.txt" | sed 's/^MANY/   /'
  grep -q "completed=$COUNT " "$work/$1.txt" || { echo "not all $COUNT exports completed ($1); log:" >&2; tail -50 "$work/operator-$1.log" >&2; exit 1; }
}
for mode in $MODES; do
  echo "==> $COUNT exports, $mode"
  run "$mode"
done

field() { [ -r "$work/$1.txt" ] && sed -n "s/.*$2=\([0-9.]*\).*/\1/p" "$work/$1.txt" || echo "-"; }
echo
echo "LXD $(prop lxd.version), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $COUNT exports of $SIZE MiB, JVM: $OPERATOR_JVM"
grep -h '^transfer limits' "$work"/*.txt | head -1
printf '%-14s %10s %13s %14s\n' "" "time (s)" "RSS peak MiB" "heap peak MiB"
for mode in $MODES; do
  printf '%-14s %10s %13s %14s\n' "$mode" "$(field "$mode" seconds)" "$(field "$mode" rssPeakMiB)" "$(field "$mode" heapPeakMiB)"
done
if [ "$MODES" = "together oneByOne" ]; then
  ratio() { echo "scale=2; $(field together "$1") / $(field oneByOne "$1")" | bc; }
  printf '%-14s %10s %13s %14s\n' "ratio" "$(ratio seconds)" "$(ratio rssPeakMiB)" "$(ratio heapPeakMiB)"
  echo "queued seen (together): $(field together queuedSeen) of $COUNT exports"
fi
