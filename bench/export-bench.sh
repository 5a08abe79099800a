#!/usr/bin/env bash
# Export benchmark (prints figures; not a test). On the real LXD rig daemon A
# (sudo hack/lxd-test-env.sh up) and one s3proxy, for each instance size (MiB, half random,
# half text), RUNS times each, the median of:
#   (a) lxc export (server default compression) to a file, then aws s3 cp to s3proxy
#   (b) lxc export --compression=zstd to a file, then aws s3 cp
#   (c) an InstanceExport from creation to Completed (the operator as in production, in a JVM
#       sized like the chart's 512Mi container with its JAVA_TOOL_OPTIONS: -XX:MaxRAM=512m
#       -XX:MaxRAMPercentage=75, override with OPERATOR_JVM), with peak RSS and heap
# then c/a and c/b. Targets: c <= 1.1 b, c <= 0.4 a, RSS growth during an export < 128 MiB.
#
#   bench/export-bench.sh                 # SIZES="256 1024" RUNS=3
#   SIZES=256 RUNS=3 bench/export-bench.sh
#   BENCH_LOGS=/tmp/bench-logs bench/export-bench.sh   # keep the operator's log (step timings)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
SIZES=${SIZES:-"256 1024"}
RUNS=${RUNS:-3}
# the chart's container: 512Mi memory limit and the chart's JAVA_TOOL_OPTIONS
OPERATOR_JVM=${OPERATOR_JVM:-"-XX:MaxRAM=512m -XX:MaxRAMPercentage=75"}
RIG=${LXD_RIG_DIR:-/var/tmp/lxd-rig}/rig.properties
[ -r "$RIG" ] || { echo "no LXD rig ($RIG); run: sudo hack/lxd-test-env.sh up" >&2; exit 1; }
prop() { sed -n "s/^$1=//p" "$RIG"; }
export LXD_DIR=$(dirname "$(prop a.socket)")
IMAGE=$(prop image)
command -v aws >/dev/null || { echo "the aws CLI is needed (apt-get install awscli)" >&2; exit 1; }

work=$(mktemp -d /var/tmp/export-bench.XXXXXX)
s3pid=
instance=
cleanup() {
  if [ -n "${BENCH_LOGS:-}" ]; then mkdir -p "$BENCH_LOGS" && cp "$work"/*.log "$work"/c-*.txt "$BENCH_LOGS"/ 2>/dev/null || true; fi
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
mkdir -p "$work/blobs"
"$JAVA" -Xmx512m -cp "$CP" io.lxdbackup.operator.bench.ExportBench s3proxy "$port" "$work/blobs" >"$work/s3proxy.log" 2>&1 &
s3pid=$!
for _ in $(seq 100); do curl -s -o /dev/null "$ENDPOINT" && break; sleep 0.2; done

export AWS_ACCESS_KEY_ID=lxdbackup-test AWS_SECRET_ACCESS_KEY=s3cr3t-Credential-9f2c1e AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=$work/aws-config AWS_SHARED_CREDENTIALS_FILE=$work/none AWS_EC2_METADATA_DISABLED=true
printf '[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n    multipart_chunksize = 16MB\n' >"$AWS_CONFIG_FILE"
s3() { aws --endpoint-url "$ENDPOINT" "$@"; }
s3 s3api create-bucket --bucket bench >/dev/null

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# half random, half text (log-like lines with varying numbers and words: compresses like real text)
fill() {
  local inst=$1 mib=$2 half=$(( $2 / 2 ))
  local rootfs=$LXD_DIR/storage-pools/default/containers/$inst/rootfs
  [ -d "$rootfs" ] || { echo "cannot find the rootfs of $inst at $rootfs" >&2; exit 1; }
  head -c "$((half << 20))" /dev/urandom >"$rootfs/root/random.bin"
  awk -v n="$((half << 20))" 'BEGIN { srand(42); split("alice bob carol dave erin frank grace heidi", u);
    split("login logout read write delete update list sync", a); bytes = 0;
    while (bytes < n) { l = sprintf("2026-11-%02d %02d:%02d:%02d host%d user=%s action=%s path=/srv/data/%d/%x status=%d latency_ms=%d\n",
      int(rand()*28)+1, int(rand()*24), int(rand()*60), int(rand()*60), int(rand()*50), u[int(rand()*8)+1], a[int(rand()*8)+1],
      int(rand()*10000), int(rand()*1e9), (rand() < 0.9 ? 200 : 500), int(rand()*900)); printf "%s", l; bytes += length(l) } }' \
    >"$rootfs/root/text.log"
  truncate -s "$((half << 20))" "$rootfs/root/text.log"
}

declare -A RESULT
for mib in $SIZES; do
  instance=bench-$mib-$(date +%s | tail -c 6)$RANDOM
  echo "==> instance $instance with $mib MiB (half random, half text)"
  lxc init "$IMAGE" "$instance" -c security.privileged=true >/dev/null 2>&1
  fill "$instance" "$mib"
  ta=() tb=()
  for run in $(seq "$RUNS"); do
    for mode in a b; do
      rm -f "$work/export.tar"*
      opt=(); [ $mode = b ] && opt=(--compression=zstd)
      t0=$(now)
      lxc export "$instance" "$work/export.tar" "${opt[@]}" >/dev/null
      s3 s3 cp --only-show-errors "$work/export.tar" "s3://bench/$mode/$instance-$run.tar"
      t1=$(now)
      t=$(echo "$t1 - $t0" | bc)
      size=$(stat -c %s "$work/export.tar")
      echo "    ($mode) run $run: ${t}s ($size bytes)"
      [ $mode = a ] && ta+=("$t") || tb+=("$t")
      s3 s3 rm --only-show-errors "s3://bench/$mode/$instance-$run.tar"
    done
  done
  rm -f "$work/export.tar"*
  "$JAVA" $OPERATOR_JVM -cp "$CP" io.lxdbackup.operator.bench.ExportBench export "$ENDPOINT" bench "$instance" "$RUNS" \
    2>"$work/operator-$mib.log" | tee "$work/c-$mib.txt" | sed 's/^RESULT/    (c)/'
  tc=$(sed -n 's/^RESULT seconds=\([0-9.]*\).*/\1/p' "$work/c-$mib.txt")
  base=$(sed -n 's/.*rssBaseMiB=\([0-9]*\).*/\1/p' "$work/c-$mib.txt" | sort -n | head -1)
  peak=$(sed -n 's/.*rssPeakMiB=\([0-9]*\).*/\1/p' "$work/c-$mib.txt" | sort -n | tail -1)
  growth=$(paste <(sed -n 's/.*rssBaseMiB=\([0-9]*\).*/\1/p' "$work/c-$mib.txt") <(sed -n 's/.*rssPeakMiB=\([0-9]*\).*/\1/p' "$work/c-$mib.txt") | awk '{g=$2-$1; if (g>m) m=g} END {print m+0}')
  heap=$(sed -n 's/.*heapPeakMiB=\([0-9]*\).*/\1/p' "$work/c-$mib.txt" | sort -n | tail -1)
  ma=$(printf '%s\n' "${ta[@]}" | median); mb=$(printf '%s\n' "${tb[@]}" | median); mc=$(printf '%s\n' $tc | median)
  RESULT[$mib]=$(printf '%s %s %s %s %s %s %s %s' "$ma" "$mb" "$mc" "$(echo "scale=2; $mc / $ma" | bc)" "$(echo "scale=2; $mc / $mb" | bc)" "$base" "$peak" "$growth")
  RESULT[$mib]="${RESULT[$mib]} $heap"
  lxc delete -f "$instance" >/dev/null
  instance=
done

echo
echo "LXD $(prop lxd.version), $(nproc) CPUs, median of $RUNS runs"
printf '%-9s %9s %9s %9s %6s %6s %12s %12s %13s %13s\n' size "a (s)" "b (s)" "c (s)" c/a c/b "RSS base MiB" "RSS peak MiB" "RSS growth" "heap peak MiB"
for mib in $SIZES; do
  read -r ma mb mc ca cb base peak growth heap <<<"${RESULT[$mib]}"
  printf '%-9s %9.2f %9.2f %9.2f %6s %6s %12s %12s %13s %13s\n' "${mib}MiB" "$ma" "$mb" "$mc" "$ca" "$cb" "$base" "$peak" "$growth" "$heap"
done
