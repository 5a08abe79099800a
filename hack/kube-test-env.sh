#!/usr/bin/env bash
# A real Kubernetes control plane on loopback for the end-to-end tests: etcd, kube-apiserver and
# kube-controller-manager, built from their published Go modules (hack/control-plane/go.mod) and
# configured like a real cluster (TLS everywhere, a service-account signing key, the Node and RBAC
# authorizers, the default admission plugins, the garbage collector, namespace and
# service-account-token controllers). No kubelet and no scheduler: pods stay Pending.
#
#   hack/kube-test-env.sh build              build the binaries (cached by version), print their folder
#   hack/kube-test-env.sh up                 build if needed, start, write $KUBE_RIG/admin.kubeconfig
#   hack/kube-test-env.sh status             does each component answer? (non-zero exit if not)
#   hack/kube-test-env.sh restart-apiserver  stop kube-apiserver and start it again (etcd keeps the data)
#   hack/kube-test-env.sh down [--purge]     stop everything; --purge also deletes etcd's data and the certificates
#
# Rig dir (certificates, kubeconfigs, logs, etcd data, kube.properties): ${KUBE_RIG_DIR:-/var/tmp/kube-rig}
# Binary cache: ${LXDBACKUP_CACHE:-$HOME/.cache/lxd-backup-operator}/control-plane/<versions>
# API server: https://127.0.0.1:${KUBE_RIG_API_PORT:-16443}
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
module="$root/hack/control-plane"
RIG="${KUBE_RIG_DIR:-/var/tmp/kube-rig}"
API_PORT="${KUBE_RIG_API_PORT:-16443}"
ETCD_PORT="${KUBE_RIG_ETCD_PORT:-23790}"
ETCD_PEER_PORT=$((ETCD_PORT + 10))
KCM_PORT="${KUBE_RIG_KCM_PORT:-20257}"
SERVICE_CIDR="10.96.0.0/16"

log() { echo "[kube-rig] $*"; }
die() { echo "[kube-rig] ERROR: $*" >&2; exit 1; }

# Versions come from the module file, so the cache key follows what is built.
# (a require line, alone or in a block, possibly marked "// indirect")
mod_version() { sed -n -E "s|^(require)?[[:space:]]*$1 (v[0-9][^ ]*).*|\2|p" "$module/go.mod" | head -n1; }
k8s_version() { mod_version 'k8s\.io/kubernetes'; }
etcd_version() { mod_version 'go\.etcd\.io/etcd/server/v3'; }

need_go() {
  command -v go >/dev/null 2>&1 ||
    die "building the control plane needs Go 1.25 or newer on PATH (none found); install it, or put a prebuilt cache in $(cache_root)"
  local v
  v=$(go env GOVERSION | sed 's/^go//')
  case "$v" in
    1.2[5-9]* | 1.[3-9][0-9]* | [2-9].*) ;;
    *) die "building the control plane needs Go 1.25 or newer, found go$v" ;;
  esac
}

cache_root() { echo "${LXDBACKUP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lxd-backup-operator}/control-plane"; }

# One folder per (kubernetes, etcd, module content) so a version bump or a changed module rebuilds.
bin_dir() {
  local sum
  sum=$(cat "$module/go.mod" "$module/go.sum" "$module"/etcd/*.go | sha256sum | cut -c1-12)
  echo "$(cache_root)/k8s-$(k8s_version)_etcd-$(etcd_version)_$sum"
}

build() {
  local dir k
  dir=$(bin_dir)
  if [ -x "$dir/kube-apiserver" ] && [ -x "$dir/kube-controller-manager" ] && [ -x "$dir/etcd" ]; then
    log "binaries cached in $dir"
    return
  fi
  need_go
  k=$(k8s_version)
  local minor=${k#v1.}
  minor=${minor%%.*}
  log "building kube-apiserver, kube-controller-manager ($k) and etcd ($(etcd_version)) from the Go module proxy"
  log "(a cold build takes about 15 minutes on 2 CPUs; later runs use $dir)"
  local started=$SECONDS tmp
  mkdir -p "$(cache_root)"
  tmp=$(mktemp -d "$(cache_root)/.build.XXXXXX")
  # The version stamped into the binaries is what /version reports: helm and kubectl read it.
  if ! (cd "$module" && go build -trimpath -mod=readonly \
    -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$k -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean" \
    -o "$tmp/" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager ./etcd) >"$tmp/build.log" 2>&1; then
    tail -n 30 "$tmp/build.log" >&2
    rm -rf "$tmp"
    die "could not build the control plane (go build failed; output above)"
  fi
  rm -f "$tmp/build.log"
  rm -rf "$dir"
  mv "$tmp" "$dir"
  log "built in $((SECONDS - started)) s into $dir"
}

# ---------------------------------------------------------------------------------------------
gen_certs() {
  local c="$RIG/pki"
  [ -f "$c/.done" ] && return
  command -v openssl >/dev/null || die "openssl is needed (apt-get install openssl)"
  rm -rf "$c"
  mkdir -p "$c"
  log "generating a cluster CA, serving and client certificates and the service-account key"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -keyout "$c/ca.key" -out "$c/ca.crt" \
    -subj "/CN=lxdbackup-test-cluster-ca" 2>/dev/null
  openssl genrsa -out "$c/sa.key" 2048 2>/dev/null
  openssl rsa -in "$c/sa.key" -pubout -out "$c/sa.pub" 2>/dev/null
  # name subject [extensions]
  issue() {
    local name=$1 subj=$2 ext=${3:-}
    openssl req -newkey rsa:2048 -nodes -keyout "$c/$name.key" -out "$c/$name.csr" -subj "$subj" 2>/dev/null
    if [ -n "$ext" ]; then
      printf '%s\n' "$ext" >"$c/$name.ext"
      openssl x509 -req -in "$c/$name.csr" -CA "$c/ca.crt" -CAkey "$c/ca.key" -CAcreateserial -days 3650 \
        -extfile "$c/$name.ext" -out "$c/$name.crt" 2>/dev/null
    else
      openssl x509 -req -in "$c/$name.csr" -CA "$c/ca.crt" -CAkey "$c/ca.key" -CAcreateserial -days 3650 \
        -out "$c/$name.crt" 2>/dev/null
    fi
    rm -f "$c/$name.csr" "$c/$name.ext"
  }
  issue apiserver "/CN=kube-apiserver" \
    "subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  issue admin "/O=system:masters/CN=kubernetes-admin"
  issue controller-manager "/CN=system:kube-controller-manager"
  chmod 0600 "$c"/*.key
  touch "$c/.done"
}

# name cert key
write_kubeconfig() {
  local name=$1 cert=$2 key=$3 out="$RIG/$1.kubeconfig"
  cat >"$out" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: rig
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority: $RIG/pki/ca.crt
users:
- name: $name
  user:
    client-certificate: $cert
    client-key: $key
contexts:
- name: $name@rig
  context: {cluster: rig, user: $name, namespace: default}
current-context: $name@rig
EOF
  chmod 0600 "$out"
}

pid_alive() { [ -f "$RIG/run/$1.pid" ] && kill -0 "$(cat "$RIG/run/$1.pid")" 2>/dev/null; }

# name command...
start_proc() {
  local name=$1
  shift
  mkdir -p "$RIG/run" "$RIG/logs"
  setsid "$@" >>"$RIG/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$RIG/run/$name.pid"
}

stop_proc() {
  local name=$1 pid i
  [ -f "$RIG/run/$name.pid" ] || return 0
  pid=$(cat "$RIG/run/$name.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$RIG/run/$name.pid"
}

curl_api() {
  curl -sS --max-time 5 --cacert "$RIG/pki/ca.crt" --cert "$RIG/pki/admin.crt" --key "$RIG/pki/admin.key" \
    "https://127.0.0.1:$API_PORT$1"
}

# Waits up to SECS for CHECK to pass while process NAME lives.
wait_for() {
  local name=$1 secs=$2 check=$3 i
  for i in $(seq 1 $((secs * 2))); do
    if eval "$check" >/dev/null 2>&1; then return 0; fi
    pid_alive "$name" || return 1
    sleep 0.5
  done
  return 1
}

start_etcd() {
  local dir=$1
  pid_alive etcd && return
  mkdir -p "$RIG/etcd"
  # No fsync: the data is thrown away with the rig, and fsync dominates etcd's latency on test disks.
  start_proc etcd "$dir/etcd" --name=rig --data-dir="$RIG/etcd" \
    --listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster="rig=http://127.0.0.1:$ETCD_PEER_PORT" --unsafe-no-fsync=true --log-level=warn
  wait_for etcd 30 "curl -sf http://127.0.0.1:$ETCD_PORT/health" ||
    { tail -n 20 "$RIG/logs/etcd.log" >&2; die "etcd did not become healthy (log: $RIG/logs/etcd.log)"; }
}

start_apiserver() {
  local dir=$1 c="$RIG/pki"
  pid_alive kube-apiserver && return
  # Every request by a service account is recorded (who, what, the answer's code), so the
  # end-to-end tests can prove the operator was never refused under the chart's RBAC.
  cat >"$RIG/audit-policy.yaml" <<EOF
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived, ResponseStarted]
rules:
- level: Metadata
  userGroups: ["system:serviceaccounts"]
- level: None
EOF
  start_proc kube-apiserver "$dir/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$API_PORT" \
    --tls-cert-file="$c/apiserver.crt" --tls-private-key-file="$c/apiserver.key" \
    --client-ca-file="$c/ca.crt" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$c/sa.pub" --service-account-signing-key-file="$c/sa.key" \
    --api-audiences=https://kubernetes.default.svc.cluster.local \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --authorization-mode=Node,RBAC \
    --allow-privileged=true \
    --event-ttl=1h \
    --profiling=false \
    --audit-policy-file="$RIG/audit-policy.yaml" --audit-log-path="$RIG/logs/audit.log" \
    --audit-log-maxsize=200 --audit-log-maxbackup=1 \
    --v=1
  wait_for kube-apiserver 120 "curl_api /readyz | grep -qx ok" ||
    { tail -n 30 "$RIG/logs/kube-apiserver.log" >&2; die "kube-apiserver did not become ready (log: $RIG/logs/kube-apiserver.log)"; }
}

start_controller_manager() {
  local dir=$1 c="$RIG/pki"
  pid_alive kube-controller-manager && return
  # Each controller runs under its own service account, as kubeadm sets it up.
  start_proc kube-controller-manager "$dir/kube-controller-manager" \
    --kubeconfig="$RIG/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$RIG/controller-manager.kubeconfig" \
    --authorization-kubeconfig="$RIG/controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="$KCM_PORT" \
    --leader-elect=false \
    --use-service-account-credentials=true \
    --service-account-private-key-file="$c/sa.key" --root-ca-file="$c/ca.crt" \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --controllers='*' \
    --v=1
  wait_for kube-controller-manager 60 "curl -sk https://127.0.0.1:$KCM_PORT/healthz | grep -qx ok" ||
    { tail -n 30 "$RIG/logs/kube-controller-manager.log" >&2; die "kube-controller-manager did not become healthy (log: $RIG/logs/kube-controller-manager.log)"; }
}

write_properties() {
  local dir=$1
  cat >"$RIG/kube.properties" <<EOF
kubeconfig=$RIG/admin.kubeconfig
server=https://127.0.0.1:$API_PORT
ca.crt=$RIG/pki/ca.crt
audit.log=$RIG/logs/audit.log
version=$(k8s_version)
bin.dir=$dir
EOF
}

# curl and openssl, from Debian, when missing
need_tools() {
  local pkgs=()
  command -v curl >/dev/null 2>&1 || pkgs+=(curl)
  command -v openssl >/dev/null 2>&1 || pkgs+=(openssl)
  [ ${#pkgs[@]} -eq 0 ] && return
  [ "$(id -u)" = 0 ] || die "missing ${pkgs[*]}: install them (apt-get install ${pkgs[*]}) or run as root"
  log "installing ${pkgs[*]} (apt-get)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null
}

up() {
  local started=$SECONDS dir
  need_tools
  build
  dir=$(bin_dir)
  mkdir -p "$RIG"
  gen_certs
  write_kubeconfig admin "$RIG/pki/admin.crt" "$RIG/pki/admin.key"
  write_kubeconfig controller-manager "$RIG/pki/controller-manager.crt" "$RIG/pki/controller-manager.key"
  start_etcd "$dir"
  start_apiserver "$dir"
  start_controller_manager "$dir"
  # The service-account controllers have run once the default namespace has its "default" account.
  wait_for kube-controller-manager 60 "curl_api /api/v1/namespaces/default/serviceaccounts/default | grep -q '\"name\": \"default\"'" ||
    die "the service-account controller did not create default/default (log: $RIG/logs/kube-controller-manager.log)"
  write_properties "$dir"
  log "up in $((SECONDS - started)) s: kubectl --kubeconfig $RIG/admin.kubeconfig ..."
}

restart_apiserver() {
  local dir
  dir=$(bin_dir)
  stop_proc kube-apiserver
  start_apiserver "$dir"
  log "kube-apiserver restarted"
}

status() {
  local ok=0 n
  for n in etcd kube-apiserver kube-controller-manager; do
    if pid_alive "$n"; then echo "$n: UP (pid $(cat "$RIG/run/$n.pid"))"; else echo "$n: DOWN"; ok=1; fi
  done
  if [ $ok = 0 ]; then
    echo "readyz: $(curl_api /readyz 2>&1 || true)"
    echo "kubeconfig: $RIG/admin.kubeconfig"
  fi
  return $ok
}

down() {
  stop_proc kube-controller-manager
  stop_proc kube-apiserver
  stop_proc etcd
  if [ "${1:-}" = "--purge" ]; then
    rm -rf "$RIG"
    log "down; $RIG removed"
  else
    log "down (etcd data kept in $RIG/etcd; --purge removes it)"
  fi
}

case "${1:-}" in
  build) build && bin_dir ;;
  up) up ;;
  status) status ;;
  restart-apiserver) restart_apiserver ;;
  down) shift; down "${1:-}" ;;
  *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
