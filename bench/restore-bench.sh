#!/usr/bin/env bash
# Restore benchmark (prints figures; not a test). On the real LXD rig daemon A
# (sudo hack/lxd-test-env.sh up) and one s3proxy, for each instance size (MiB, half random,
# half text) the operator exports the instance once (zstd, kept in the store); then, RUNS times
# each, the median of:
#   (a) the baseline by hand: aws s3 cp of that object to a file, then lxc import of the file
#       (columns: a = total, dl = the download alone, imp = the lxc import alone: the server's
#       own import time of a local file)
#   (c) an InstanceRestore of the object (source.object) from creation to Completed, the
#       operator as in production (in-memory API, the chart's JVM flags: -XX:MaxRAM=512m
#       -XX:MaxRAMPercentage=75, override with OPERATOR_JVM), with peak RSS and heap; c.dl is
#       when the operator read the object's last byte (LXD had received everything by then)
#   (r/u) LXD's import of the same local file through its API, split into receiving the
#       upload (r) and unpacking it (u, the import operation)
# then c/a and c/imp. Target: c <= 0.7 a, RSS flat (growth well under the chart's 512Mi).
# PARALLEL=4 adds a run of 4 restores of the same object started together (total time,
# against 4 x c one after another).
#
#   bench/restore-bench.sh                  # SIZES="256 1024" RUNS=3
#   SIZES=256 RUNS=1 bench/restore-bench.sh  # a quick look
#   PARALLEL=4 bench/restore-bench.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
SIZES=${SIZES:-"256 1024"}
RUNS=${RUNS:-3}
PARALLEL=${PARALLEL:-1}
OPERATOR_JVM=${OPERATOR_JVM:-"-XX:MaxRAM=512m -XX:MaxRAMPercentage=75"}
RIG=${LXD_RIG_DIR:-/var/tmp/lxd-rig}/rig.properties
[ -r "$RIG" ] || { echo "no LXD rig ($RIG); run: sudo hack/lxd-test-env.sh up" >&2; exit 1; }
prop() { sed -n "s/^$1=//p" "$RIG"; }
export LXD_DIR=$(dirname "$(prop a.socket)")
IMAGE=$(prop image)
command -v aws >/dev/null || { echo "the aws CLI is needed (apt-get install awscli)" >&2; exit 1; }
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

work=$(mktemp -d /var/tmp/restore-bench.XXXXXX)
s3pid=
instances=()
cleanup() {
  if [ -n "${BENCH_LOGS:-}" ]; then mkdir -p "$BENCH_LOGS" && cp "$work"/*.log "$work"/c-*.txt "$BENCH_LOGS"/ 2>/dev/null || true; fi
  [ -n "$s3pid" ] && kill "$s3pid" 2>/dev/null || true
  for i in "${instances[@]}"; do lxc delete -f "$i" >/dev/null 2>&1 || true; done
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
ratio() { echo "scale=2; $1 / $2" | bc; }

# half random, half text (as bench/export-bench.sh)
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

declare -A RESULT PAR
for mib in $SIZES; do
  src=rsrc-$mib-$(date +%s | tail -c 6)$RANDOM
  instances+=("$src")
  echo "==> instance $src with $mib MiB (half random, half text), exported once by the operator"
  lxc init "$IMAGE" "$src" -c security.privileged=true >/dev/null 2>&1
  fill "$src" "$mib"
  read -r _ key _ size < <("$JAVA" $OPERATOR_JVM -cp "$CP" io.lxdbackup.operator.bench.RestoreBench export "$ENDPOINT" bench "$src" \
    2>"$work/export-$mib.log" | grep '^KEY ')
  echo "    object $key ($size bytes)"
  lxc delete -f "$src" >/dev/null
  ta=() tdl=() timp=() tr=() tu=()
  for run in $(seq "$RUNS"); do
    name=rbase-$mib-$run-$RANDOM
    instances+=("$name")
    rm -f "$work/backup.tar"
    t0=$(now)
    s3 s3 cp --only-show-errors "s3://bench/$key" "$work/backup.tar"
    t1=$(now)
    lxc import "$work/backup.tar" "$name" >/dev/null
    t2=$(now)
    dl=$(echo "$t1 - $t0" | bc); imp=$(echo "$t2 - $t1" | bc); tot=$(echo "$t2 - $t0" | bc)
    lxc delete -f "$name" >/dev/null
    # LXD's import through its API, split into receiving and unpacking
    # (a failure here is reported and left out of the medians, not fatal: see lxdimport.log)
    rs=nan us=nan
    read -r _ rs us < <("$JAVA" -cp "$CP" io.lxdbackup.operator.bench.RestoreBench lxdimport "$work/backup.tar" "$name" 2>>"$work/lxdimport.log" \
      | sed -n 's/^IMPORT receiveSeconds=\([0-9.]*\) unpackSeconds=\([0-9.]*\)/IMPORT \1 \2/p') || echo "    the API import of run $run failed (lxdimport.log)"
    lxc delete -f "$name" >/dev/null 2>&1 || true
    echo "    (a) run $run: ${tot}s = download ${dl}s + lxc import ${imp}s; API import: receive ${rs}s + unpack ${us}s"
    ta+=("$tot") tdl+=("$dl") timp+=("$imp")
    [ "$rs" != nan ] && tr+=("$rs") tu+=("$us")
  done
  rm -f "$work/backup.tar"
  "$JAVA" $OPERATOR_JVM -cp "$CP" io.lxdbackup.operator.bench.RestoreBench restore "$ENDPOINT" bench "$key" "$RUNS" 1 \
    2>"$work/operator-$mib.log" | tee "$work/c-$mib.txt" | grep --line-buffered '^RESULT' | sed 's/^RESULT/    (c)/'
  tc=$(sed -n 's/^RESULT seconds=\([0-9.]*\).*/\1/p' "$work/c-$mib.txt")
  tcdl=$(sed -n 's/.*downloadSeconds=\([0-9.]*\).*/\1/p' "$work/c-$mib.txt")
  base=$(sed -n 's/.*rssBaseMiB=\([0-9]*\).*/\1/p' "$work/c-$mib.txt" | sort -n | head -1)
  peak=$(sed -n 's/.*rssPeakMiB=\([0-9]*\).*/\1/p' "$work/c-$mib.txt" | sort -n | tail -1)
  growth=$(paste <(sed -n 's/.*rssBaseMiB=\([0-9]*\).*/\1/p' "$work/c-$mib.txt") <(sed -n 's/.*rssPeakMiB=\([0-9]*\).*/\1/p' "$work/c-$mib.txt") | awk '{g=$2-$1; if (g>m) m=g} END {print m+0}')
  heap=$(sed -n 's/.*heapPeakMiB=\([0-9]*\).*/\1/p' "$work/c-$mib.txt" | sort -n | tail -1)
  ma=$(printf '%s\n' "${ta[@]}" | median); mdl=$(printf '%s\n' "${tdl[@]}" | median); mimp=$(printf '%s\n' "${timp[@]}" | median)
  mr=$(printf '%s\n' "${tr[@]:-0}" | median); mu=$(printf '%s\n' "${tu[@]:-0}" | median)
  mc=$(printf '%s\n' $tc | median); mcdl=$(printf '%s\n' $tcdl | median)
  RESULT[$mib]="$ma $mdl $mimp $mr $mu $mc $mcdl $(ratio "$mc" "$ma") $(ratio "$mc" "$mimp") $base $peak $growth $heap"
  if [ "$PARALLEL" -gt 1 ]; then
    "$JAVA" $OPERATOR_JVM -cp "$CP" io.lxdbackup.operator.bench.RestoreBench restore "$ENDPOINT" bench "$key" 1 "$PARALLEL" \
      2>"$work/operator-par-$mib.log" | tee "$work/c-par-$mib.txt" | grep --line-buffered '^RESULT' | sed "s/^RESULT/    ($PARALLEL at once)/"
    tp=$(sed -n 's/^RESULT seconds=\([0-9.]*\).*/\1/p' "$work/c-par-$mib.txt")
    pp=$(sed -n 's/.*rssPeakMiB=\([0-9]*\).*/\1/p' "$work/c-par-$mib.txt")
    PAR[$mib]="$tp $(echo "scale=2; $tp / ($PARALLEL * $mc)" | bc) $pp"
  fi
done

echo
echo "LXD $(prop lxd.version), $(nproc) CPUs, median of $RUNS runs; load average (1, 5, 15 min) at start $load_start, at end $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %7s %7s %7s %7s %7s %7s %7s %5s %6s %9s %9s %9s %9s\n' size "a (s)" "a.dl" "a.imp" "r" "u" "c (s)" "c.dl" c/a c/imp "RSS base" "RSS peak" "RSS grow" "heap peak"
for mib in $SIZES; do
  read -r ma mdl mimp mr mu mc mcdl ca ci base peak growth heap <<<"${RESULT[$mib]}"
  printf '%-8s %7.2f %7.2f %7.2f %7.2f %7.2f %7.2f %7.2f %5s %6s %9s %9s %9s %9s\n' "${mib}MiB" "$ma" "$mdl" "$mimp" "$mr" "$mu" "$mc" "$mcdl" "$ca" "$ci" "$base" "$peak" "$growth" "$heap"
done
if [ "$PARALLEL" -gt 1 ]; then
  echo
  printf '%-8s %22s %26s %14s\n' size "$PARALLEL at once (s)" "vs $PARALLEL x c one by one" "RSS peak MiB"
  for mib in $SIZES; do
    read -r tp pr pp <<<"${PAR[$mib]}"
    printf '%-8s %22s %26s %14s\n' "${mib}MiB" "$tp" "$pr" "$pp"
  done
fi
