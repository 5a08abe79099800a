#!/usr/bin/env bash
# Copy benchmark (prints figures; not a test). On the real LXD rig (daemons A and B,
# sudo hack/lxd-test-env.sh up): an instance of SIZE MiB on A (half random, half text, with a
# snapshot s1), then RUNS times (driver: src/test/java/io/lxdbackup/operator/bench/CopyBench.java):
#   lxc-copy      lxc copy a:inst b:t          (pull: B dials A; LXD's own migration)
#   pull          an InstanceCopy, mode pull, from creation to Synced
#   (a 4 KiB file and a snapshot are added on the source)
#   lxc-refresh   lxc copy --refresh a:inst b:t
#   pull-refresh  the InstanceCopy's next sync (a spec edit), to Synced (refreshStrategy Staging,
#                 the default: the previous copy is copied on B, refreshed, then swapped in)
#   pull-refresh-inplace  the same with refreshStrategy InPlace (a second InstanceCopy)
#   by-hand       lxc export --compression=zstd from A to a file, then lxc import on B
#   relay         an InstanceCopy, mode relay (the operator carries the backup), to Synced
# Bytes: TCP proxies (testing/CountingProxy) in front of A and B count every byte both ways.
# The lxc client and the operator address A (and B, for the relay) through them, and LXD's pull
# migration dials the source at the address the client gave, so the rsync stream between the
# daemons is counted too. /proc/net/dev or LXD's network counters would not separate it: both
# daemons and every other client share the loopback. by-hand moves the file twice (out of A,
# into B; over the unix sockets here, not counted): its bytes are 2 x the file.
# Targets: pull <= 1.0 x lxc-copy, pull-refresh <= 1.0 x lxc-refresh (time), relay vs by-hand,
# and a refresh after a small change far below a full copy in bytes and seconds.
#
#   bench/copy-bench.sh                 # SIZE=256 RUNS=3
#   SIZE=64 RUNS=1 bench/copy-bench.sh  # a quick look
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
SIZE=${SIZE:-256}
RUNS=${RUNS:-3}
OPERATOR_JVM=${OPERATOR_JVM:-"-XX:MaxRAM=512m -XX:MaxRAMPercentage=75"}
RIG=${LXD_RIG_DIR:-/var/tmp/lxd-rig}/rig.properties
[ -r "$RIG" ] || { echo "no LXD rig ($RIG); run: sudo hack/lxd-test-env.sh up" >&2; exit 1; }
prop() { sed -n "s/^$1=//p" "$RIG"; }
export LXD_DIR=$(dirname "$(prop a.socket)")
IMAGE=$(prop image)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

work=$(mktemp -d /var/tmp/copy-bench.XXXXXX)
instance=
cleanup() {
  [ -n "$instance" ] && lxc delete -f "$instance" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "==> building (test classes and classpath)"
./mvnw -B -q -o test-compile dependency:build-classpath -Dmdep.outputFile="$work/cp" -Dmdep.includeScope=test >/dev/null
# copies: a build in the same tree while this runs must not change what runs
mkdir -p "$work/classes" "$work/test-classes"
cp -r target/classes/. "$work/classes/"; cp -r target/test-classes/. "$work/test-classes/"
CP="$work/test-classes:$work/classes:$(cat "$work/cp")"
JAVA="$JAVA_HOME/bin/java"

# an lxc client configuration of its own, with the rig's trusted client certificate
mkdir -p "$work/lxc"
cp "$(prop client.crt)" "$work/lxc/client.crt"
cp "$(prop client.key)" "$work/lxc/client.key"

fill() {
  local inst=$1 mib=$2 half=$(( $2 / 2 ))
  local rootfs=$LXD_DIR/storage-pools/default/containers/$inst/rootfs
  [ -d "$rootfs" ] || { echo "cannot find the rootfs of $inst at $rootfs" >&2; exit 1; }
  head -c "$((half << 20))" /dev/urandom >"$rootfs/root/random.bin"
  awk -v n="$((half << 20))" 'BEGIN { srand(42); bytes = 0;
    while (bytes < n) { l = sprintf("2026-11-%02d %02d:%02d host%d status=%d latency_ms=%d path=/srv/%x\n",
      int(rand()*28)+1, int(rand()*24), int(rand()*60), int(rand()*50), (rand() < 0.9 ? 200 : 500), int(rand()*900), int(rand()*1e9));
      printf "%s", l; bytes += length(l) } }' >"$rootfs/root/text.log"
  truncate -s "$((half << 20))" "$rootfs/root/text.log"
}

instance=cbsrc-$SIZE-$(date +%s | tail -c 6)$RANDOM
echo "==> instance $instance with $SIZE MiB (half random, half text) and a snapshot s1"
lxc init "$IMAGE" "$instance" -c security.privileged=true >/dev/null 2>&1
fill "$instance" "$SIZE"
lxc snapshot "$instance" s1

"$JAVA" $OPERATOR_JVM -cp "$CP" io.lxdbackup.operator.bench.CopyBench run "$instance" "$RUNS" "$work/lxc" "$work" \
  2>"$work/operator.log" | tee "$work/out.txt" | grep --line-buffered '^RESULT' | sed 's/^RESULT/   /' \
  || { echo "the driver failed; its log:" >&2; grep -v '^20..-..-..T.* INFO' "$work/operator.log" "$work/out.txt" | tail -40 >&2; exit 1; }

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
col() { sed -n "s/^RESULT case=$1 seconds=\([0-9.]*\) bytes=\([0-9]*\).*/\\$2/p" "$work/out.txt" | median; }
ratio() { echo "scale=3; $1 / $2" | bc; }
mb() { echo "scale=3; $1 / 1000000" | bc; }

echo
echo "LXD $(prop lxd.version), $(nproc) CPUs, $SIZE MiB instance + snapshot, median of $RUNS runs;"
echo "load average (1, 5, 15 min) at start $load_start, at end $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-34s %10s %10s %12s %12s\n' "operator vs by hand" "op (s)" "hand (s)" "op (MB)" "hand (MB)"
for pair in "pull lxc-copy" "pull-refresh lxc-refresh" "pull-refresh-inplace lxc-refresh" "relay by-hand"; do
  read -r o h <<<"$pair"
  printf '%-34s %10s %10s %12s %12s   time %s, bytes %s\n' "$o vs $h" "$(col "$o" 1)" "$(col "$h" 1)" \
    "$(mb "$(col "$o" 2)")" "$(mb "$(col "$h" 2)")" "$(ratio "$(col "$o" 1)" "$(col "$h" 1)")" "$(ratio "$(col "$o" 2)" "$(col "$h" 2)")"
done
echo
printf '%-34s %10s %12s\n' "refresh after a small change" "s / full" "bytes / full"
printf '%-34s %10s %12s\n' "pull-refresh vs pull" "$(ratio "$(col pull-refresh 1)" "$(col pull 1)")" "$(ratio "$(col pull-refresh 2)" "$(col pull 2)")"
printf '%-34s %10s %12s\n' "pull-refresh-inplace vs pull" "$(ratio "$(col pull-refresh-inplace 1)" "$(col pull 1)")" "$(ratio "$(col pull-refresh-inplace 2)" "$(col pull 2)")"
printf '%-34s %10s %12s\n' "lxc-refresh vs lxc-copy" "$(ratio "$(col lxc-refresh 1)" "$(col lxc-copy 1)")" "$(ratio "$(col lxc-refresh 2)" "$(col lxc-copy 2)")"
rss=$(sed -n 's/^RESULT case=relay .*rssBaseMiB=\([0-9]*\) rssPeakMiB=\([0-9]*\)/\1 \2/p' "$work/out.txt" | awk '{g=$2-$1; if (g>m) m=g} END {print m+0}')
echo "relay: operator RSS growth at most $rss MiB"
