#!/usr/bin/env bash
# Runs the operator with no cluster: an in-memory Kubernetes API (for trying it out; nothing
# is persisted), a kubeconfig in local-data/kubeconfig, and an LxdRemote "local" pointing at
# the local LXD unix socket. On a fresh Debian 12 machine (as root, or with sudo) it first sets
# up what that needs, saying what it does before doing it:
#
#   - a JDK 21 or newer: the newest under /usr/lib/jvm (or JAVA_HOME), else Debian's
#     openjdk-25/21-jdk-headless where the apt sources have one
#   - LXD: when no daemon answers on the socket, Debian's lxd (and busybox-static) installed,
#     the daemon started, and a `dir` storage pool "default" made the default profile's disk
#   - when the server has no instance: a demo container "lxdbackup-demo" from a busybox image
#     built here (no network), the instance examples/local-instancesnapshot.yaml snapshots
#   - the pinned kubectl of hack/tools.sh in .tools/bin (its directory is in the printed PATH)
#
# and then builds the jar when needed and starts local mode. What it created is written to
# local-data/run-local.state; --clean removes exactly that (and the files under local-data/).
# A second run finds everything in place and starts in seconds.
#
#   hack/run-local.sh [--no-install] [--demo] [--setup-only] [--no-build] [local mode options]
#   hack/run-local.sh --clean
#
#   --no-install   change nothing on the system (no apt-get, no daemon started, no pool made);
#                  without an answering LXD, local mode starts with no "local" remote
#   --demo         create the demo instance even when the server has instances of its own
#   --setup-only   set up, but do not start local mode (prints the command that would)
#   --no-build     do not build the jar even when it is older than the sources (for tests)
#   --clean        remove what earlier runs created (recorded in local-data/run-local.state)
#   local mode options: --api-port=6443 --http-port=8080 --lxd-socket=PATH --kubeconfig=PATH
#
# Environment: LXD_DIR picks the LXD daemon (default: the snap's when its socket exists, else
# Debian's /var/lib/lxd); LXDBACKUP_LOCAL_DATA moves local-data/ (state, kubeconfig, logs).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

log() { printf '==> %s\n' "$*" >&2; }
warn() { printf '==> WARNING: %s\n' "$*" >&2; }
die() { printf 'hack/run-local.sh: %s\n' "$*" >&2; exit 1; }

DEMO_INSTANCE=lxdbackup-demo
DEMO_IMAGE=lxdbackup-demo-busybox
DEMO_POOL=default
SNAP_SOCKET=/var/snap/lxd/common/lxd/unix.socket

# --- options ----------------------------------------------------------------------------
mode=run build=true install=install force_demo=false socket_given=false socket_opt="" kubeconfig_opt=false
passthrough=()
for a in "$@"; do
  case "$a" in
    --no-install) install=no-install ;;
    --demo) force_demo=true ;;
    --setup-only) mode=setup ;;
    --no-build) build=false ;;
    --clean) mode=clean ;;
    --lxd-socket=*) socket_given=true; socket_opt=${a#--lxd-socket=}; passthrough+=("$a") ;;
    --kubeconfig=*) kubeconfig_opt=true; passthrough+=("$a") ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) passthrough+=("$a") ;;
  esac
done

data=${LXDBACKUP_LOCAL_DATA:-local-data}
mkdir -p "$data"
data=$(cd "$data" && pwd)
state=$data/run-local.state
# the lxc client keeps its config here, not in ~/.config/lxc
export LXD_CONF=$data/lxc-conf
# (made quietly here: lxc's first use prints advice on `lxd init` and `lxc launch`)
if [ ! -d "$LXD_CONF" ] && command -v lxc >/dev/null 2>&1; then lxc remote list </dev/null >/dev/null 2>&1 || true; fi

# --- what this script created: key=value lines in $state ---------------------------------
state_get() { if [ -f "$state" ]; then sed -n "s/^$1=//p" "$state" | tail -n 1; fi; }
state_set() {
  { if [ -f "$state" ]; then grep -v "^$1=" "$state" || true; fi; echo "$1=$2"; } >"$state.tmp"
  mv "$state.tmp" "$state"
}
state_del() {
  [ -f "$state" ] || return 0
  { grep -v "^$1=" "$state" || true; } >"$state.tmp"
  mv "$state.tmp" "$state"
}

# --- LXD ---------------------------------------------------------------------------------
if [ -n "$socket_opt" ]; then
  socket=$socket_opt
elif [ "$mode" = clean ] && [ -n "$(state_get lxd_dir)" ]; then
  socket=$(state_get lxd_dir)/unix.socket
elif [ -n "${LXD_DIR:-}" ]; then
  socket=$LXD_DIR/unix.socket
elif [ -S "$SNAP_SOCKET" ]; then
  socket=$SNAP_SOCKET
else
  socket=/var/lib/lxd/unix.socket
fi
lxd_dir=$(dirname "$socket")
lx() { LXD_DIR=$lxd_dir lxc "$@" </dev/null; }
answers() { [ -S "$socket" ] && command -v lxc >/dev/null 2>&1 && timeout 10 env LXD_DIR="$lxd_dir" lxc query /1.0 </dev/null >/dev/null 2>&1; }
instance_exists() { lx query "/1.0/instances/$1" >/dev/null 2>&1; }

# installs Debian packages, recording the ones that were not installed before
apt_install() {
  local before after new
  [ "$(id -u)" = 0 ] || die "installing $* needs root: run with sudo (or --no-install to change nothing)"
  before=$(dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' 2>/dev/null | awk '$1 == "ii" {print $2}' | sort)
  log "installing $* (apt-get; log in $data/apt.log)"
  if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y -o DPkg::Lock::Timeout=300 "$@"; } \
      >"$data/apt.log" 2>&1 </dev/null; then
    tail -n 20 "$data/apt.log" >&2
    die "apt-get failed (full log: $data/apt.log)"
  fi
  after=$(dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' 2>/dev/null | awk '$1 == "ii" {print $2}' | sort)
  new=$(comm -13 <(echo "$before") <(echo "$after") | tr '\n' ' ')
  state_set packages "$(state_get packages) $new"
}

start_daemon() {
  if [ -d /run/systemd/system ] && [ "$lxd_dir" = /var/lib/lxd ] && systemctl cat lxd.service >/dev/null 2>&1; then
    log "starting the LXD daemon (systemctl start lxd)"
    systemctl start lxd.socket lxd.service
  else
    log "starting the LXD daemon (LXD_DIR=$lxd_dir, log $data/lxd.log)"
    if [ ! -d "$lxd_dir" ]; then state_set lxd_dir_created "$lxd_dir"; mkdir -p "$lxd_dir"; fi
    # detached: own session, no stdin, output to a file; it outlives this script
    LXD_DIR=$lxd_dir nohup setsid lxd --group root --logfile "$data/lxd.log" </dev/null >>"$data/lxd.out" 2>&1 &
    state_set daemon_started "$lxd_dir"
  fi
  if ! LXD_DIR=$lxd_dir lxd waitready --timeout 60 >/dev/null 2>&1; then
    tail -n 20 "$data/lxd.log" "$data/lxd.out" >&2 || true
    die "the LXD daemon did not become ready"
  fi
}

# the default profile has a root disk (what `lxd init` sets up)
initialised() { lx profile device get default root pool >/dev/null 2>&1; }

initialise() {
  if ! lx storage show "$DEMO_POOL" >/dev/null 2>&1; then
    log "creating the storage pool '$DEMO_POOL' (driver dir, in $lxd_dir/storage-pools/$DEMO_POOL)"
    lx storage create "$DEMO_POOL" dir >/dev/null
    state_set pool "$DEMO_POOL"
  fi
  log "making '$DEMO_POOL' the root disk of the default profile"
  lx profile device add default root disk path=/ pool="$DEMO_POOL" >/dev/null
  state_set profile_root "$DEMO_POOL"
}

server_has_instances() { [ -n "$(lx list --all-projects --format csv -c n 2>/dev/null)" ]; }

create_demo() {
  local tarball=$data/$DEMO_IMAGE.tar.gz fp
  if ! lx image alias list --format csv 2>/dev/null | grep -q "^$DEMO_IMAGE,"; then
    if [ ! -s "$tarball" ]; then
      log "building the demo image (busybox-static, no network): $tarball"
      # shellcheck source=hack/lib/busybox-image.sh
      . hack/lib/busybox-image.sh
      build_busybox_image "$tarball" "$DEMO_INSTANCE" "lxd-backup-operator demo image (busybox-static; hack/run-local.sh --clean removes it)"
    fi
    log "importing the demo image as '$DEMO_IMAGE'"
    lx image import "$tarball" --alias "$DEMO_IMAGE" >/dev/null
    fp=$(lx query "/1.0/images/aliases/$DEMO_IMAGE" | sed -n 's/.*"target": *"\([0-9a-f]*\)".*/\1/p' | head -n 1)
    state_set image "$fp"
  fi
  log "creating and starting the demo instance '$DEMO_INSTANCE' (busybox, privileged, no network)"
  local out
  # (lxc init's notice that the instance has no network is expected: it needs none)
  out=$(lx init "$DEMO_IMAGE" "$DEMO_INSTANCE" -c security.privileged=true -c user.lxdbackup.demo=true 2>&1) \
    || die "lxc init $DEMO_INSTANCE failed: $out"
  state_set instance "$DEMO_INSTANCE"
  lx start "$DEMO_INSTANCE" >/dev/null 2>&1 || warn "could not start '$DEMO_INSTANCE' (snapshots of a stopped instance work too)"
}

# --- --clean ------------------------------------------------------------------------------
clean() {
  local v failed=false
  if [ ! -f "$state" ]; then
    log "nothing recorded in $state: nothing to clean"
  fi
  v=$(state_get instance)
  if [ -n "$v" ]; then
    if ! answers; then
      warn "LXD on $socket does not answer: cannot delete the demo instance '$v' (start LXD and run --clean again)"
      failed=true
    elif ! instance_exists "$v"; then
      log "demo instance '$v': already gone"; state_del instance
    elif [ "$(lx config get "$v" user.lxdbackup.demo)" != true ]; then
      warn "instance '$v' is not the demo instance (no user.lxdbackup.demo=true): left alone"; state_del instance
    else
      log "deleting the demo instance '$v'"
      if lx delete -f "$v" >/dev/null; then state_del instance; else failed=true; fi
    fi
  fi
  v=$(state_get image)
  if [ -n "$v" ] && answers; then
    if lx query "/1.0/images/$v" >/dev/null 2>&1; then
      log "deleting the demo image ${v:0:12}"
      if lx image delete "$v" >/dev/null; then state_del image; else failed=true; fi
    else
      log "demo image ${v:0:12}: already gone"; state_del image
    fi
  fi
  v=$(state_get profile_root)
  if [ -n "$v" ] && answers; then
    if ! lx profile device get default root pool >/dev/null 2>&1; then
      state_del profile_root
    elif lx profile device remove default root >/dev/null 2>&1; then
      log "removed the root disk from the default profile"; state_del profile_root
    else
      warn "the default profile's root disk is in use (instances of yours?): left in place"; failed=true
    fi
  fi
  v=$(state_get pool)
  if [ -n "$v" ] && answers; then
    if ! lx storage show "$v" >/dev/null 2>&1; then
      state_del pool
    elif lx storage delete "$v" >/dev/null 2>&1; then
      log "deleted the storage pool '$v'"; state_del pool
    else
      warn "the storage pool '$v' is in use (instances or images of yours?): left in place"; failed=true
    fi
  fi
  v=$(state_get daemon_started)
  if [ -n "$v" ] && ! $failed; then
    if answers; then
      log "stopping the LXD daemon this script started (LXD_DIR=$v)"
      LXD_DIR=$v lxd shutdown --timeout 60 >/dev/null 2>&1 || warn "lxd shutdown failed"
    fi
    state_del daemon_started
    v=$(state_get lxd_dir_created)
    if [ -n "$v" ]; then
      log "removing $v (made for that daemon)"
      findmnt -rn -o TARGET | grep "^$v/" | sort -r | xargs -r umount -l 2>/dev/null || true
      rm -rf --one-file-system "$v"
      state_del lxd_dir_created
    fi
  fi
  v=$(state_get packages | xargs)
  if [ -n "$v" ] && ! $failed; then
    [ "$(id -u)" = 0 ] || die "removing the packages this script installed ($v) needs root"
    log "removing the packages this script installed: $v"
    # shellcheck disable=SC2086  # one word per package
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq $v >/dev/null 2>&1 || warn "apt-get purge $v failed"
    state_del packages
  fi
  v=$(state_get java_dir)
  if [ -n "$v" ]; then
    log "removing the Java runtime from PyPI in $v"
    rm -rf "$v"
    state_del java_dir
  fi
  v=$(state_get tools)
  if [ -n "$v" ]; then
    log "removing kubectl and helm from $v (hack/tools.sh installs them again when needed)"
    rm -f "$v/kubectl" "$v/helm" "$root"/.tools/.layer-kubectl-v35-*
    state_del tools
  fi
  if $failed; then
    die "some things were left in place (see above); $state still lists them"
  fi
  rm -rf "$data/lxc-conf"
  rm -f "$state" "$data/$DEMO_IMAGE.tar.gz" "$data/kubeconfig" "$data/lxd.log" "$data/lxd.out" "$data/apt.log"
  rmdir "$data" 2>/dev/null || true
  log "clean: done"
}

if [ "$mode" = clean ]; then
  clean
  exit 0
fi

# --- set-up -------------------------------------------------------------------------------
if [ -n "$(state_get lxd_dir)" ] && [ "$(state_get lxd_dir)" != "$lxd_dir" ] && [ -z "$socket_opt" ]; then
  die "$state records a set-up on LXD_DIR=$(state_get lxd_dir), not $lxd_dir: run hack/run-local.sh --clean first (it cleans that one)"
fi
t0=$SECONDS

# the JDK first: without one (and none to install) nothing else is worth changing
# shellcheck source=hack/lib/java.sh
. hack/lib/java.sh
pick_java "$install"
[ -z "$JAVA_INSTALLED_PACKAGE" ] || state_set packages "$(state_get packages) $JAVA_INSTALLED_PACKAGE"
[ -z "$JAVA_INSTALLED_DIR" ] || state_set java_dir "$JAVA_INSTALLED_DIR"
log "JDK: $JAVA_DESCRIPTION"

# what the first run will change, said before it changes anything
plan=()
lxd_up=false
if $socket_given && [ -z "$socket_opt" ]; then
  log "--lxd-socket= (empty): no LXD, no 'local' remote"
elif answers; then
  lxd_up=true
else
  command -v lxd >/dev/null 2>&1 && command -v lxc >/dev/null 2>&1 || plan+=("install Debian's lxd and busybox-static (apt-get)")
  plan+=("start the LXD daemon (LXD_DIR=$lxd_dir)" "create a 'dir' storage pool '$DEMO_POOL' and make it the default profile's disk"
    "create a demo instance '$DEMO_INSTANCE' from a busybox image built here")
fi
if [ ${#plan[@]} -gt 0 ]; then
  if [ "$install" = no-install ]; then
    warn "no LXD answers on $socket, and --no-install: starting without the 'local' remote"
  else
    log "no LXD answers on $socket; this run will:"
    for p in "${plan[@]}"; do log "  - $p"; done
    log "  (hack/run-local.sh --no-install changes nothing; hack/run-local.sh --clean undoes this)"
    if [ -t 0 ] && [ -t 2 ]; then log "starting in 5 s (Ctrl-C to stop)"; sleep 5; fi
    state_set lxd_dir "$lxd_dir"
    if ! command -v lxd >/dev/null 2>&1 || ! command -v lxc >/dev/null 2>&1; then
      apt_install lxd busybox-static
    fi
    # the package may have started the daemon itself
    answers || start_daemon
    lxd_up=true
  fi
fi

demo=""
if $lxd_up; then
  log "LXD: lxd $(lx query /1.0 | sed -n 's/.*"server_version": *"\([^"]*\)".*/\1/p' | head -n 1) answers on $socket"
  if ! initialised; then
    if [ "$install" = no-install ]; then
      warn "LXD has no storage for instances (lxd init), and --no-install: no demo instance"
    else
      state_set lxd_dir "$lxd_dir"
      initialise
    fi
  fi
  if instance_exists "$DEMO_INSTANCE"; then
    log "demo instance '$DEMO_INSTANCE': present"
    demo=$DEMO_INSTANCE
  elif ! initialised; then
    :
  elif server_has_instances && ! $force_demo; then
    log "the server has instances: no demo instance (--demo creates one); set spec.instance in examples/local-instancesnapshot.yaml to one of yours"
  else
    if [ ! -x /bin/busybox ]; then
      [ "$install" = install ] || die "the demo image needs /bin/busybox (apt-get install busybox-static)"
      apt_install busybox-static
    fi
    state_set lxd_dir "$lxd_dir"
    create_demo
    demo=$DEMO_INSTANCE
  fi
fi

# kubectl, pinned (hack/tools.sh); its installing apt packages (nodejs, npm, unzip) is an install
tools_bin=""
if [ -x .tools/bin/kubectl ] || [ "$install" = install ] || { command -v npm >/dev/null && command -v unzip >/dev/null; }; then
  had_kubectl=false
  [ -x .tools/bin/kubectl ] && had_kubectl=true
  kubectl=$(hack/tools.sh | sed -n 's/^KUBECTL=//p')
  tools_bin=$(dirname "$kubectl")
  $had_kubectl || state_set tools "$tools_bin"
  log "kubectl: $kubectl ($("$kubectl" version --client -o json | sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p' | head -n 1))"
else
  warn "no kubectl: hack/tools.sh would install nodejs, npm and unzip (--no-install)"
fi

jar=target/lxd-backup-operator.jar
if $build && { [ ! -f "$jar" ] || [ -n "$(find src pom.xml crds -newer "$jar" -print -quit)" ]; }; then
  log "building $jar (the first build downloads Maven and the libraries)"
  ./mvnw -B -q -ntp -DskipTests package
fi
log "set-up done in $((SECONDS - t0)) s"

# the options given first: the first of a name wins
args=("${passthrough[@]}")
if $lxd_up && ! $socket_given; then args+=("--lxd-socket=$socket"); fi
if [ -n "$demo" ]; then args+=("--demo-instance=$demo"); fi
if [ -n "$tools_bin" ]; then args+=("--tools-path=$tools_bin"); fi
if ! $kubeconfig_opt; then args+=("--kubeconfig=$data/kubeconfig"); fi
if [ "$mode" = setup ]; then
  printf 'local mode: %q' "$JAVA_HOME/bin/java" >&2; printf ' %q' -jar "$jar" local "${args[@]}" >&2; echo >&2
  exit 0
fi
exec "$JAVA_HOME/bin/java" -jar "$jar" local "${args[@]}"
