# shellcheck shell=bash
# A tiny LXD container image built without network: a rootfs holding /bin/busybox (from
# Debian's busybox-static) with a link per applet, and a metadata.yaml. Sourced by
# hack/lxd-test-env.sh (the test rig's image) and hack/run-local.sh (the demo instance's image).

# build_busybox_image TARBALL HOSTNAME DESCRIPTION: writes the image (a unified tarball for
# `lxc image import`) to TARBALL. Its /sbin/init sleeps forever and exits on SIGPWR/SIGTERM/
# SIGINT, so `lxc stop` (SIGPWR) and `lxd shutdown` stop the container at once.
build_busybox_image() {
    local tarball=$1 hostname=$2 description=$3
    [ -x /bin/busybox ] || { echo "build_busybox_image: /bin/busybox is missing (apt-get install busybox-static)" >&2; return 1; }
    local tmp; tmp=$(mktemp -d)
    local root="$tmp/rootfs"
    mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,root,tmp,dev,proc,sys,run,var/log,var/tmp,home,mnt}
    chmod 1777 "$root/tmp" "$root/var/tmp"
    chmod 700 "$root/root"
    cp /bin/busybox "$root/bin/busybox"
    local app
    for app in $(/bin/busybox --list-full); do
        [ -e "$root/$app" ] || ln -s /bin/busybox "$root/$app"
    done
    rm -f "$root/sbin/init"
    cat >"$root/sbin/init" <<INIT
#!/bin/sh
# $hostname init: keep the container alive, stop on the LXC halt signal (SIGPWR) or SIGTERM.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
trap 'exit 0' PWR TERM INT
while :; do
    sleep 3600 &
    wait \$!
done
INIT
    chmod 755 "$root/sbin/init"
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
    printf 'root::0:0:99999:7:::\n' >"$root/etc/shadow"; chmod 600 "$root/etc/shadow"
    echo "$hostname" >"$root/etc/hostname"
    printf '127.0.0.1 localhost\n::1 localhost\n' >"$root/etc/hosts"
    printf 'NAME=BusyBox\nID=busybox\nPRETTY_NAME="BusyBox %s image"\n' "$hostname" >"$root/etc/os-release"
    cat >"$tmp/metadata.yaml" <<META
architecture: x86_64
creation_date: $(date +%s)
properties:
  os: busybox
  release: "$(/bin/busybox | head -n1 | sed 's/^BusyBox \(v[^ ]*\).*/\1/')"
  architecture: x86_64
  description: $description
templates: {}
META
    mkdir -p "$(dirname "$tarball")"
    tar -C "$tmp" --numeric-owner --owner=0 --group=0 --sort=name -czf "$tarball.tmp" metadata.yaml rootfs
    mv "$tarball.tmp" "$tarball"
    rm -rf "$tmp"
}
