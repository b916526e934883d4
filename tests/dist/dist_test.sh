#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Copyright 2026 The blobby-c authors
#
# tests/dist/dist_test.sh -- what tools/dist/ ships, checked as an operator
# would use it.  Usage: dist_test.sh install|systemd|logrotate SRC BUILD
#   install    cmake --install into a DESTDIR puts the programs, the unit,
#              the logrotate file, the example configuration and the docs
#              in place, and the installed unit names them.
#   systemd    systemd-analyze verify finds nothing to say about the
#              installed unit (its programs pointed at the DESTDIR copy),
#              and systemd-analyze security rates it 3.0 or better.
#   logrotate  logrotate accepts tools/dist/blobbyd.logrotate, and a forced
#              rotation of a running blobbyd's log (SIGHUP through its pid
#              file) leaves its later lines in the new file.
# Exit 0 passed, 1 failed, 77 skipped (a tool is missing).
set -euo pipefail
what=$1 src=$2 build=$3
tmp=$(mktemp -d /tmp/bb_dist.XXXXXX)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }

# install_to DIR: cmake --install of the build into DESTDIR=DIR; prints
# the prefix (from the build's cache).
install_to() {
  DESTDIR=$1 "${CMAKE:-cmake}" --install "$build" >/dev/null
  sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt"
}

check_install() {
  local prefix root unit doc f
  prefix=$(install_to "$tmp/root")
  root=$tmp/root$prefix
  for f in bin/blobbyd bin/blobby bin/blobby-migrate lib/systemd/system/blobbyd.service \
    etc/logrotate.d/blobbyd share/doc/blobby-c/blobbyd.example.conf \
    share/doc/blobby-c/OPERATIONS.md share/doc/blobby-c/CONFIG.md \
    share/doc/blobby-c/README.md; do
    [ -e "$root/$f" ] || fail "cmake --install did not install $f"
  done
  [ -x "$root/bin/blobbyd" ] || fail "blobbyd is not executable"
  unit=$root/lib/systemd/system/blobbyd.service
  grep -q "^ExecStart=$prefix/bin/blobbyd " "$unit" ||
    fail "the installed unit does not start $prefix/bin/blobbyd"
  # Every Documentation=file: of the unit is a file that was installed.
  for doc in $(sed -n 's/^Documentation=file://p' "$unit"); do
    [ -f "$tmp/root$doc" ] || fail "Documentation=file:$doc not installed"
  done
  "$root/bin/blobbyd" -t -c "$root/share/doc/blobby-c/blobbyd.example.conf" \
    >/dev/null || fail "the installed example configuration is invalid"
  echo "install: ok ($prefix)"
}

check_systemd() {
  local prefix root unit out score
  command -v systemd-analyze >/dev/null ||
    skip "systemd-analyze is not installed (Debian package systemd)"
  prefix=$(install_to "$tmp/root")
  root=$tmp/root$prefix
  # verify checks that the programs exist: point the unit at the copies
  # in the DESTDIR.  Any message (an unknown key, a bad value) fails,
  # although verify itself only warns about those.
  mkdir -p "$tmp/unit"
  unit=$tmp/unit/blobbyd.service
  sed "s#$prefix/bin/#$root/bin/#g" \
    "$root/lib/systemd/system/blobbyd.service" >"$unit"
  if ! out=$(systemd-analyze verify "$unit" 2>&1); then
    fail "systemd-analyze verify: $out"
  fi
  [ -z "$out" ] || fail "systemd-analyze verify says: $out"
  # --threshold=30: a nonzero exit above 3.0 ("OK" and better).
  out=$(systemd-analyze security --offline=true --threshold=30 "$unit" \
    2>&1) || fail "systemd-analyze security above 3.0: $(echo "$out" |
    grep -E '✗|Overall')"
  score=$(echo "$out" | grep 'Overall exposure level')
  echo "systemd: verify clean; $score"
}

check_logrotate() {
  local dir=$tmp/lr i
  command -v logrotate >/dev/null ||
    skip "logrotate is not installed (Debian package logrotate)"
  mkdir -p "$dir/log"
  # The shipped file with the log directory of this test and the pid
  # file instead of systemctl (no systemd here).
  sed -e "s#/var/log/blobby#$dir/log#" \
    -e "s#systemctl reload blobbyd.service#kill -HUP \"\$(cat $dir/pid)\"#" \
    "$src/tools/dist/blobbyd.logrotate" >"$dir/conf"
  grep -q "kill -HUP" "$dir/conf" || fail "no postrotate line to replace"
  logrotate -d -s "$dir/state" "$dir/conf" >/dev/null 2>&1 ||
    fail "logrotate -d rejects the file"
  cat >"$dir/blobbyd.ini" <<INI
machine_id = 1
pidfile = $dir/pid
[log]
file = $dir/log/blobbyd.log
[server]
addr = 127.0.0.1
port = 0
rpc_port = 0
[server.access_log]
file = $dir/log/access.log
[namespace.a]
directory = $dir/data
replicas = 0
archive = dir
archive_directory = $dir/archive
INI
  "$build/blobbyd" -c "$dir/blobbyd.ini" >/dev/null 2>&1 &
  pid=$!
  for i in $(seq 1 200); do
    grep -q "http on" "$dir/log/blobbyd.log" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || fail "blobbyd did not start"
    sleep 0.1
  done
  grep -q "http on" "$dir/log/blobbyd.log" || fail "blobbyd not ready in 20 s"
  logrotate -f -s "$dir/state" "$dir/conf" || fail "logrotate -f failed"
  [ -f "$dir/log/blobbyd.log.1" ] || fail "blobbyd.log was not rotated"
  kill -TERM "$pid"
  for i in $(seq 1 600); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && fail "blobbyd did not stop in 60 s"
  wait "$pid" || fail "blobbyd exited with status $?"
  pid=
  grep -q "http on" "$dir/log/blobbyd.log.1" ||
    fail "the rotated file lacks the start line"
  grep -q "stopping" "$dir/log/blobbyd.log" ||
    fail "after SIGHUP blobbyd did not write to the new log file"
  echo "logrotate: ok"
}

case $what in
install) check_install ;;
systemd) check_systemd ;;
logrotate) check_logrotate ;;
*) fail "unknown check $what" ;;
esac
