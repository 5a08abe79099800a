#!/usr/bin/env bash
# Start-up benchmark (prints figures; not a test).
# 1. Process start to ready: java -jar lxd-backup-operator.jar local (the in-memory API server
#    and the operator, one LxdRemote on the LXD rig's daemon A unix socket) until /readyz answers
#    200, RUNS times per JVM set-up, the set-ups taking turns so they share the machine's load:
#      default  the chart's JVM flags (-XX:MaxRAM=512m -XX:MaxRAMPercentage=75)
#      cds      + -XX:SharedArchiveFile: an AppCDS archive of the classes a start loads, dumped
#               by a training start (-XX:ArchiveClassesAtExit; JDK 13+, so the image's JRE 21 too)
#      aot      + -XX:AOTCache: JDK 24+'s ahead-of-time cache (classes loaded and linked, JEP 483,
#               with method profiles on 25, JEP 515), from a training start (-XX:AOTCacheOutput)
#    The jar is copied first: a build in the same tree while this runs must not change it.
# 2. The first export after a start against the next ones: bench/ExportBench (the operator on
#    the in-memory API, as bench/export-bench.sh) exports one instance EXPORT_RUNS times in one
#    JVM, plain and with an AppCDS archive of its own class path (from a training export).
#
#   bench/startup-bench.sh                  # RUNS=5 EXPORT_MIB=256 EXPORT_RUNS=4
#   RUNS=2 EXPORT_MIB=0 bench/startup-bench.sh   # start-up only, quickly
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
RUNS=${RUNS:-5}
EXPORT_MIB=${EXPORT_MIB:-256}
EXPORT_RUNS=${EXPORT_RUNS:-4}
OPERATOR_JVM=${OPERATOR_JVM:-"-XX:MaxRAM=512m -XX:MaxRAMPercentage=75"}
RIG=${LXD_RIG_DIR:-/var/tmp/lxd-rig}/rig.properties
[ -r "$RIG" ] || { echo "no LXD rig ($RIG); run: sudo hack/lxd-test-env.sh up" >&2; exit 1; }
prop() { sed -n "s/^$1=//p" "$RIG"; }
export LXD_DIR=$(dirname "$(prop a.socket)")
IMAGE=$(prop image)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
JAVA="$JAVA_HOME/bin/java"

work=$(mktemp -d /var/tmp/startup-bench.XXXXXX)
pid= s3pid= instance=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  [ -n "$s3pid" ] && kill "$s3pid" 2>/dev/null || true
  [ -n "$instance" ] && lxc delete -f "$instance" >/dev/null 2>&1 || true
  if [ -n "${BENCH_LOGS:-}" ]; then mkdir -p "$BENCH_LOGS" && cp "$work"/*.log "$BENCH_LOGS"/ 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "==> building (jar, test classes and classpath)"
./mvnw -B -q -o package -DskipTests -Dcheck.skip dependency:build-classpath -Dmdep.outputFile="$work/cp" -Dmdep.includeScope=test >/dev/null
cp target/lxd-backup-operator.jar "$work/op.jar"
# jars, not directories: a CDS archive refuses a class path with non-empty directories
"$JAVA_HOME/bin/jar" cf "$work/classes.jar" -C target/classes .
"$JAVA_HOME/bin/jar" cf "$work/test-classes.jar" -C target/test-classes .
CP="$work/test-classes.jar:$work/classes.jar:$(cat "$work/cp")"
now() { date +%s.%N; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# one start of local mode with extra JVM flags; prints the seconds to /readyz; stops it
start_once() {
  local log=$1; shift
  local hp ap t0 t
  hp=$(free_port); ap=$(free_port)
  t0=$(now)
  "$JAVA" $OPERATOR_JVM "$@" -jar "$work/op.jar" local --api-port="$ap" --http-port="$hp" \
    --kubeconfig="$work/kubeconfig" --lxd-socket="$(prop a.socket)" >"$log" 2>&1 &
  pid=$!
  until curl -sf "http://127.0.0.1:$hp/readyz" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || { echo "the operator exited; its log:" >&2; grep -v '^\s*at ' "$log" | tail -20 >&2; exit 1; }
    sleep 0.05
  done
  t=$(echo "$(now) - $t0" | bc)
  sleep "${SETTLE:-0}"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
  echo "$t"
}

echo "==> training starts (the archives are written when the JVM exits)"
SETTLE=5 start_once "$work/train-cds.log" -XX:ArchiveClassesAtExit="$work/app.jsa" >/dev/null
SETTLE=5 start_once "$work/train-aot.log" -XX:AOTCacheOutput="$work/app.aot" >/dev/null
ls -l "$work/app.jsa" "$work/app.aot" | awk '{printf "    %s %d MiB\n", $NF, $5 / 1048576}'
declare -A T
for run in $(seq "$RUNS"); do
  a=$(start_once "$work/default-$run.log")
  b=$(start_once "$work/cds-$run.log" -XX:SharedArchiveFile="$work/app.jsa" -Xshare:auto)
  c=$(start_once "$work/aot-$run.log" -XX:AOTCache="$work/app.aot")
  echo "    run $run: default ${a}s, cds ${b}s, aot ${c}s"
  T[default]+="$a "; T[cds]+="$b "; T[aot]+="$c "
done

if [ "$EXPORT_MIB" -gt 0 ]; then
  port=$(free_port)
  mkdir -p "$work/blobs/bench" # s3proxy's filesystem store: a bucket is a directory
  "$JAVA" -Xmx512m -cp "$CP" io.lxdbackup.operator.bench.ExportBench s3proxy "$port" "$work/blobs" >"$work/s3proxy.log" 2>&1 &
  s3pid=$!
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port" && break; sleep 0.2; done
  instance=sbench-$EXPORT_MIB-$(date +%s | tail -c 6)$RANDOM
  echo "==> instance $instance with $EXPORT_MIB MiB of random data, exported $EXPORT_RUNS times per JVM"
  lxc init "$IMAGE" "$instance" -c security.privileged=true >/dev/null 2>&1
  head -c "$((EXPORT_MIB << 20))" /dev/urandom >"$LXD_DIR/storage-pools/default/containers/$instance/rootfs/root/random.bin"
  "$JAVA" $OPERATOR_JVM -XX:ArchiveClassesAtExit="$work/export.jsa" -cp "$CP" io.lxdbackup.operator.bench.ExportBench export \
    "http://127.0.0.1:$port" bench "$instance" 1 >"$work/export-train.log" 2>&1
  for mode in plain cds; do
    opt=(); [ $mode = cds ] && opt=(-XX:SharedArchiveFile="$work/export.jsa")
    "$JAVA" $OPERATOR_JVM "${opt[@]}" -cp "$CP" io.lxdbackup.operator.bench.ExportBench export "http://127.0.0.1:$port" bench \
      "$instance" "$EXPORT_RUNS" >"$work/export-$mode.log" 2>&1
    s=$(sed -n 's/^RESULT seconds=\([0-9.]*\).*/\1/p' "$work/export-$mode.log" | tr '\n' ' ')
    echo "    $mode: $s"
    T[export-$mode]="$s"
  done
fi

echo
echo "$(nproc) CPUs, $("$JAVA" -version 2>&1 | head -1), median of $RUNS starts;"
echo "load average (1, 5, 15 min) at start $load_start, at end $(cut -d' ' -f1-3 /proc/loadavg)"
d=$(printf '%s\n' ${T[default]} | median)
printf '%-10s %14s %10s\n' "set-up" "start→ready (s)" "vs default"
for m in default cds aot; do
  v=$(printf '%s\n' ${T[$m]} | median)
  printf '%-10s %14s %10s\n' "$m" "$v" "$(echo "scale=2; $v / $d" | bc)"
done
if [ "$EXPORT_MIB" -gt 0 ]; then
  echo
  printf '%-10s %12s %18s %12s\n' "export JVM" "first (s)" "next, median (s)" "first/next"
  for mode in plain cds; do
    read -r first rest <<<"${T[export-$mode]}"
    nxt=$(printf '%s\n' $rest | median)
    printf '%-10s %12s %18s %12s\n' "$mode" "$first" "$nxt" "$(echo "scale=2; $first / $nxt" | bc)"
  done
fi
