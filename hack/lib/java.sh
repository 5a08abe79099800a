# shellcheck shell=bash
# shellcheck disable=SC2034  # JAVA_DESCRIPTION and JAVA_INSTALLED_PACKAGE are for the caller
# Finding (or installing) a JDK 21 or newer; sourced by hack/test.sh and hack/run-local.sh.
# The caller defines log and die. After pick_java, JAVA_HOME is a JDK 21+ (with javac) and
# JAVA_DESCRIPTION says which one and where it came from.

# the feature version of the JDK in $1 ("25"), or nothing when $1 is not a JDK with javac
java_feature() {
  local home=$1 v
  [ -x "$home/bin/java" ] && [ -x "$home/bin/javac" ] || return 0
  v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release" 2>/dev/null)
  [ -n "$v" ] || v=$("$home/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)
  echo "$v"
}

# "Temurin-25.0.3+9" or "25.0.2": what the release file of JDK $1 says it is
java_name() {
  local home=$1 n
  n=$(sed -n 's/^IMPLEMENTOR_VERSION="\(.*\)"$/\1/p' "$home/release" 2>/dev/null)
  [ -n "$n" ] || n=$(sed -n 's/^JAVA_VERSION="\(.*\)"$/\1/p' "$home/release" 2>/dev/null)
  echo "${n:-unknown version}"
}

# Debian's OpenJDK packages of version 21 or newer that apt can install here, newest first
java_packages_available() {
  local p
  for p in openjdk-25-jdk-headless openjdk-21-jdk-headless; do
    if apt-cache policy "$p" 2>/dev/null | grep -q 'Candidate: [0-9]'; then echo "$p"; fi
  done
}

# pick_java install|no-install: JAVA_HOME when it is 21+, else the newest JDK 21+ in /usr/lib/jvm
# or on the PATH, else (as root, unless --no-install) Debian's openjdk-25/21-jdk-headless.
# Sets JAVA_INSTALLED_PACKAGE to the package it installed, if any.
pick_java() {
  local mode=$1 d v best="" best_v=0 pkg
  JAVA_INSTALLED_PACKAGE=""
  if [ -n "${JAVA_HOME:-}" ]; then
    v=$(java_feature "$JAVA_HOME")
    if [ -n "$v" ] && [ "$v" -ge 21 ]; then
      export JAVA_HOME
      JAVA_DESCRIPTION="$(java_name "$JAVA_HOME") in $JAVA_HOME (from JAVA_HOME)"
      return
    fi
    log "JAVA_HOME=$JAVA_HOME is not a JDK 21 or newer: looking for one"
  fi
  local candidates=(/usr/lib/jvm/*)
  if command -v javac >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")")
  fi
  for d in "${candidates[@]}"; do
    if [ ! -d "$d" ] || [ -L "$d" ]; then continue; fi
    v=$(java_feature "$d")
    if [ -n "$v" ] && [ "$v" -ge 21 ] && [ "$v" -gt "$best_v" ]; then best=$d; best_v=$v; fi
  done
  if [ -n "$best" ]; then
    export JAVA_HOME=$best
    JAVA_DESCRIPTION="$(java_name "$best") in $best (found)"
    return
  fi
  [ "$mode" = install ] || die "no JDK 21 or newer found (and --no-install): install one and set JAVA_HOME"
  [ "$(id -u)" = 0 ] || die "no JDK 21 or newer found: run as root (or with sudo) to install one, or set JAVA_HOME"
  log "no JDK 21 or newer found: asking apt which OpenJDK 21+ this system packages"
  apt-get update -qq
  pkg=$(java_packages_available | head -n 1)
  if [ -z "$pkg" ]; then
    die "no JDK 21 or newer found, and this system's apt sources package none (Debian 12 has only openjdk-17):
  install a JDK 21+ yourself (for example Eclipse Temurin: https://adoptium.net/installation/linux/)
  and run again, with JAVA_HOME set if it is not under /usr/lib/jvm"
  fi
  log "installing $pkg (apt-get)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null
  JAVA_INSTALLED_PACKAGE=$pkg
  for d in /usr/lib/jvm/*; do
    v=$(java_feature "$d")
    if [ -n "$v" ] && [ "$v" -ge 21 ] && [ "$v" -gt "$best_v" ]; then best=$d; best_v=$v; fi
  done
  [ -n "$best" ] || die "installed $pkg but found no JDK 21+ under /usr/lib/jvm"
  export JAVA_HOME=$best
  JAVA_DESCRIPTION="$(java_name "$best") in $best (installed: $pkg)"
}
