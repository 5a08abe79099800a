#!/usr/bin/env bash
# Local LXD test rig: two independent LXD daemons on this machine (must run as root).
#
#   hack/lxd-test-env.sh up            install (if needed), start, configure, write $RIG/rig.properties
#   hack/lxd-test-env.sh status        does each daemon answer? (non-zero exit if not)
#   hack/lxd-test-env.sh clean         delete all instances, custom volumes and non-rig images on both daemons
#   hack/lxd-test-env.sh down [--purge]  stop both daemons; --purge also deletes their data and the rig dir
#
# Daemon A: LXD_DIR=/var/lib/lxd-rig-a, https://127.0.0.1:8443
# Daemon B: LXD_DIR=/var/lib/lxd-rig-b, https://127.0.0.1:8444
# Rig dir (certificates, image tarball, logs, rig.properties): ${LXD_RIG_DIR:-/var/tmp/lxd-rig}
set -euo pipefail

RIG="${LXD_RIG_DIR:-/var/tmp/lxd-rig}"
# shellcheck source=hack/lib/busybox-image.sh
. "$(dirname "$0")/lib/busybox-image.sh"
TRUST_PASSWORD="rig-trust-password"
IMAGE_ALIAS="rig-busybox"
POOL="default"
DAEMONS=(a b)
declare -A LXDDIR=([a]=/var/lib/lxd-rig-a [b]=/var/lib/lxd-rig-b)
declare -A ADDR=([a]=127.0.0.1:8443 [b]=127.0.0.1:8444)

# The lxc client must not touch root's ~/.config/lxc nor the packaged daemon in /var/lib/lxd.
export LXD_CONF="$RIG/lxc-conf"
export DEBIAN_FRONTEND=noninteractive

log() { echo "[lxd-rig] $*"; }
die() { echo "[lxd-rig] ERROR: $*" >&2; exit 1; }

# lxc/lxd against daemon $1 (a|b)
lx() { local d=$1; shift; LXD_DIR="${LXDDIR[$d]}" lxc "$@"; }
lxdd() { local d=$1; shift; LXD_DIR="${LXDDIR[$d]}" lxd "$@"; }

# true if daemon $1 answers on its unix socket
answers() { [ -S "${LXDDIR[$1]}/unix.socket" ] && LXD_DIR="${LXDDIR[$1]}" timeout 10 lxc query /1.0 >/dev/null 2>&1; }

# value of a string field in the JSON of `lxc query` output (first match)
json_str() { grep -o "\"$1\": *\"[^\"]*\"" | head -n1 | sed 's/.*: *"\(.*\)"/\1/'; }

cert_fingerprint() { openssl x509 -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }

need_root() { [ "$(id -u)" = 0 ] || die "must run as root"; }

# ---------------------------------------------------------------------------------------------
install_packages() {
    local pkgs=()
    command -v lxd >/dev/null && command -v lxc >/dev/null || pkgs+=(lxd)
    [ -x /bin/busybox ] && dpkg -s busybox-static >/dev/null 2>&1 || pkgs+=(busybox-static)
    command -v openssl >/dev/null || pkgs+=(openssl)
    command -v findmnt >/dev/null || pkgs+=(util-linux)
    if [ ${#pkgs[@]} -gt 0 ]; then
        log "installing ${pkgs[*]} (apt-get)"
        mkdir -p "$RIG/logs"
        if ! { apt-get update && apt-get install -y -o DPkg::Lock::Timeout=300 "${pkgs[@]}"; } >"$RIG/logs/apt.log" 2>&1 </dev/null; then
            tail -n 20 "$RIG/logs/apt.log" >&2
            die "apt-get failed (full log: $RIG/logs/apt.log)"
        fi
    else
        log "packages present (lxd $(lxd --version), busybox-static, openssl)"
    fi
}

start_daemon() {
    local d=$1 dir=${LXDDIR[$1]}
    if answers "$d"; then
        log "daemon $d already running ($dir)"
    else
        mkdir -p "$dir" "$RIG/logs"
        chmod 711 "$dir"
        log "starting daemon $d (LXD_DIR=$dir, log $RIG/logs/lxd-$d.log)"
        # fully detached: own session, no stdin, output to files, lock fd closed; survives this
        # script and the CI shell
        LXD_DIR="$dir" nohup setsid lxd --group root --logfile "$RIG/logs/lxd-$d.log" \
            </dev/null >>"$RIG/logs/lxd-$d.out" 2>&1 9>&- &
        if ! lxdd "$d" waitready --timeout 60 >/dev/null 2>&1; then
            tail -n 20 "$RIG/logs/lxd-$d.log" "$RIG/logs/lxd-$d.out" >&2 || true
            die "daemon $d did not become ready"
        fi
    fi
    lx "$d" info 2>/dev/null | sed -n 's/^ *server_pid: *//p' | head -n1 >"$dir/rig.pid" || true
}

configure_daemon() {
    local d=$1
    if ! lx "$d" storage show "$POOL" >/dev/null 2>&1; then
        log "initialising daemon $d (pool '$POOL' dir, https ${ADDR[$d]}, trust password)"
        lxdd "$d" init --preseed >/dev/null <<EOF
config:
  core.https_address: "${ADDR[$d]}"
  core.trust_password: "$TRUST_PASSWORD"
  images.auto_update_interval: "0"
storage_pools:
- name: $POOL
  driver: dir
profiles:
- name: default
  devices:
    root: {path: /, pool: $POOL, type: disk}
EOF
    else
        # re-assert the settings the tests rely on
        [ "$(lx "$d" config get core.https_address)" = "${ADDR[$d]}" ] \
            || lx "$d" config set core.https_address "${ADDR[$d]}"
        lx "$d" config set core.trust_password "$TRUST_PASSWORD"   # a test may have changed it
        log "daemon $d already initialised (pool '$POOL', https ${ADDR[$d]})"
    fi
}

build_image() {
    local tarball="$RIG/images/$IMAGE_ALIAS.tar.gz"
    if [ -s "$tarball" ]; then
        log "image tarball exists ($tarball)"
        return
    fi
    log "building busybox image tarball ($tarball)"
    build_busybox_image "$tarball" "$IMAGE_ALIAS" "lxd-backup-operator test image (busybox-static, no network)"
}

import_image() {
    local d=$1 tarball="$RIG/images/$IMAGE_ALIAS.tar.gz" fp
    if lx "$d" image alias list --format csv 2>/dev/null | grep -q "^$IMAGE_ALIAS,"; then
        log "image '$IMAGE_ALIAS' present on daemon $d"
        return
    fi
    fp=$(sha256sum "$tarball" | cut -d' ' -f1)
    log "importing image '$IMAGE_ALIAS' into daemon $d"
    if lx "$d" query "/1.0/images/$fp" >/dev/null 2>&1; then
        lx "$d" image alias create "$IMAGE_ALIAS" "$fp" >/dev/null
    else
        lx "$d" image import "$tarball" --alias "$IMAGE_ALIAS" >/dev/null
    fi
}

verify_container() {
    local d=a name=rigcheck out
    log "verifying image on daemon a (init/start/exec/delete '$name')"
    lx $d delete -f "$name" >/dev/null 2>&1 || true
    out=$(lx $d init "$IMAGE_ALIAS" "$name" -c security.privileged=true 2>&1) || die "lxc init $name failed: $out"
    out=$(lx $d start "$name" 2>&1) || die "lxc start $name failed: $out"
    out=$(lx $d exec "$name" -- sh -c 'echo hi > /root/f; cat /root/f' 2>&1) || die "lxc exec in $name failed: $out"
    [ "$out" = hi ] || die "exec in $name returned '$out'"
    lx $d delete -f "$name" >/dev/null
}

make_cert() { # $1 = base name, $2 = CN
    local crt="$RIG/certs/$1.crt" key="$RIG/certs/$1.key"
    [ -s "$crt" ] && [ -s "$key" ] && [ -s "$key.pkcs8" ] && return
    log "creating client certificate $crt (EC P-384)"
    ( umask 077
      openssl ecparam -name secp384r1 -genkey -noout -out "$key"        # SEC1 "EC PRIVATE KEY"
      openssl pkcs8 -topk8 -nocrypt -in "$key" -out "$key.pkcs8" )      # PKCS#8 "PRIVATE KEY"
    openssl req -x509 -new -key "$key" -sha384 -days 3650 -subj "/O=lxd-backup-operator rig/CN=$2" \
        -addext "basicConstraints=critical,CA:FALSE" \
        -addext "keyUsage=critical,digitalSignature" \
        -addext "extendedKeyUsage=clientAuth" -out "$crt" 2>/dev/null
}

trust_certs() {
    local d=$1 fp ufp
    fp=$(cert_fingerprint "$RIG/certs/client.crt")
    ufp=$(cert_fingerprint "$RIG/certs/untrusted.crt")
    if lx "$d" query "/1.0/certificates/$fp" >/dev/null 2>&1; then
        log "client certificate already trusted by daemon $d"
    else
        log "trusting client certificate on daemon $d"
        lx "$d" config trust add "$RIG/certs/client.crt" --name rig-client >/dev/null
    fi
    # a test may have enrolled the "untrusted" certificate with the trust password: undo that
    if lx "$d" query "/1.0/certificates/$ufp" >/dev/null 2>&1; then
        log "removing 'untrusted' certificate from daemon $d trust store"
        lx "$d" config trust remove "$ufp" >/dev/null
    fi
}

write_properties() {
    local d props="$RIG/rig.properties" version
    version=$(lx a query /1.0 | json_str server_version)
    {
        echo "# LXD test rig, written by hack/lxd-test-env.sh up at $(date -u +%Y-%m-%dT%H:%M:%SZ)"
        for d in "${DAEMONS[@]}"; do
            cp "${LXDDIR[$d]}/server.crt" "$RIG/certs/server-$d.crt"
            echo "$d.url=https://${ADDR[$d]}"
            echo "$d.socket=${LXDDIR[$d]}/unix.socket"
            echo "$d.fingerprint=$(cert_fingerprint "${LXDDIR[$d]}/server.crt")"
            echo "$d.certificate=$RIG/certs/server-$d.crt"
        done
        echo "client.crt=$RIG/certs/client.crt"
        echo "client.key=$RIG/certs/client.key"
        echo "client.key.pkcs8=$RIG/certs/client.key.pkcs8"
        echo "untrusted.crt=$RIG/certs/untrusted.crt"
        echo "untrusted.key=$RIG/certs/untrusted.key"
        echo "trust.password=$TRUST_PASSWORD"
        echo "image=$IMAGE_ALIAS"
        echo "storage.pool=$POOL"
        echo "lxd.version=$version"
    } >"$props.tmp"
    mv "$props.tmp" "$props"
    log "wrote $props"
}

check_https() { # trusted client cert must be "trusted" over HTTPS on both ports
    local d auth
    command -v curl >/dev/null || return 0
    for d in "${DAEMONS[@]}"; do
        auth=$(curl -sk --max-time 10 --cert "$RIG/certs/client.crt" --key "$RIG/certs/client.key" \
            "https://${ADDR[$d]}/1.0" | json_str auth || true)
        [ "$auth" = trusted ] || die "https://${ADDR[$d]}/1.0 with client.crt: auth='$auth' (expected trusted)"
    done
    log "https check: client.crt is trusted on ${ADDR[a]} and ${ADDR[b]}"
}

cmd_up() {
    need_root
    local t0=$SECONDS d
    install_packages
    mkdir -p "$RIG/certs" "$RIG/logs" "$LXD_CONF"
    for d in "${DAEMONS[@]}"; do start_daemon "$d"; done
    for d in "${DAEMONS[@]}"; do configure_daemon "$d"; done
    build_image
    for d in "${DAEMONS[@]}"; do import_image "$d"; done
    make_cert client rig-client
    make_cert untrusted rig-untrusted
    for d in "${DAEMONS[@]}"; do trust_certs "$d"; done
    verify_container
    write_properties
    check_https
    log "up: done in $((SECONDS - t0))s"
}

# ---------------------------------------------------------------------------------------------
daemon_pid() { # pid of the lxd daemon serving $1, from rig.pid, only if it really is that daemon
    local dir=${LXDDIR[$1]} pid
    pid=$(cat "$dir/rig.pid" 2>/dev/null || true)
    [ -n "$pid" ] && [ -r "/proc/$pid/environ" ] || return 1
    tr '\0' '\n' <"/proc/$pid/environ" | grep -qx "LXD_DIR=$dir" || return 1
    echo "$pid"
}

stop_daemon() {
    local d=$1 dir=${LXDDIR[$1]} pid
    if ! answers "$d" && ! daemon_pid "$d" >/dev/null; then
        log "daemon $d not running"
        return
    fi
    log "stopping daemon $d"
    pid=$(daemon_pid "$d" || true)
    if ! lxdd "$d" shutdown --timeout 60 >/dev/null 2>&1; then
        if [ -n "$pid" ]; then
            log "lxd shutdown failed for daemon $d, killing pid $pid"
            kill "$pid" 2>/dev/null || true
            sleep 3
            kill -9 "$pid" 2>/dev/null || true
        fi
    fi
    local _
    for _ in $(seq 1 30); do
        if [ -z "$pid" ] || [ ! -d "/proc/$pid" ]; then break; fi
        sleep 1
    done
    rm -f "$dir/rig.pid"
}

unmount_under() { # $1 = path prefix
    local m
    command -v findmnt >/dev/null || return 0
    for m in $(findmnt -rn -o TARGET | grep "^$1" | sort -r || true); do
        umount -l "$m" 2>/dev/null || true
    done
}

cmd_down() {
    need_root
    local purge=false d
    [ "${1:-}" = --purge ] && purge=true
    for d in "${DAEMONS[@]}"; do stop_daemon "$d"; done
    if $purge; then
        for d in "${DAEMONS[@]}"; do
            log "purging ${LXDDIR[$d]}"
            unmount_under "${LXDDIR[$d]}"
            rm -rf "${LXDDIR[$d]}"
        done
        log "purging $RIG"
        rm -rf "$RIG"
    fi
}

cmd_status() {
    local d rc=0 v n
    for d in "${DAEMONS[@]}"; do
        if answers "$d"; then
            v=$(lx "$d" query /1.0 | json_str server_version)
            n=$(lx "$d" list --all-projects --format csv -c n 2>/dev/null | wc -l)
            echo "daemon $d: UP   lxd $v, LXD_DIR=${LXDDIR[$d]}, https://${ADDR[$d]}, $n instance(s)"
        else
            echo "daemon $d: DOWN (LXD_DIR=${LXDDIR[$d]})"
            rc=1
        fi
    done
    [ -f "$RIG/rig.properties" ] && echo "properties: $RIG/rig.properties" || echo "properties: missing ($RIG/rig.properties)"
    return $rc
}

cmd_clean() {
    need_root
    local d p n fp keep vol
    for d in "${DAEMONS[@]}"; do
        answers "$d" || die "daemon $d is not running"
        lx "$d" list --all-projects --format csv -c e,n 2>/dev/null | while IFS=, read -r p n; do
            lx "$d" delete -f --project "$p" "$n" >/dev/null
        done
        lx "$d" storage volume list "$POOL" --format csv -c t,n 2>/dev/null | while IFS=, read -r p vol; do
            if [ "$p" = custom ]; then lx "$d" storage volume delete "$POOL" "$vol" >/dev/null || true; fi
        done
        keep=$(lx "$d" query "/1.0/images/aliases/$IMAGE_ALIAS" 2>/dev/null | json_str target || true)
        lx "$d" query /1.0/images | grep -o '/1.0/images/[0-9a-f]*' | sed 's|.*/||' | while read -r fp; do
            [ "$fp" = "$keep" ] || lx "$d" image delete "$fp" >/dev/null
        done
        log "daemon $d cleaned (kept image '$IMAGE_ALIAS')"
    done
}

# serialise concurrent invocations (CI, several Maven modules, a developer shell)
lock() { mkdir -p /run/lock; exec 9>/run/lock/lxd-test-env.lock; flock -w 600 9 || die "timed out waiting for lock"; }

case "${1:-}" in
    up) lock; cmd_up ;;
    down) shift; lock; cmd_down "$@" ;;
    status) cmd_status ;;
    clean) lock; cmd_clean ;;
    *) echo "usage: $0 up|down [--purge]|status|clean" >&2; exit 2 ;;
esac
