# SPDX-License-Identifier: MIT
# tools/lib.sh -- sourced by tools/run, tools/test and tools/bench: the
# Debian packages each needs, and installing the missing ones.

# What building blobbyd needs.
BB_BUILD_PKGS=(cmake make gcc pkg-config libmicrohttpd-dev libinih-dev
  libnng-dev libprotobuf-c-dev protobuf-c-compiler libxxhash-dev
  libcurl4-openssl-dev libssl-dev zlib1g-dev libgnutls28-dev libaprutil1-dev
  libsystemd-dev)
# What the test suite needs on top (nodejs and npm run s3rver; prometheus
# for promtool, which checks /_metrics in integration.metrics).
BB_TEST_PKGS=(libcmocka-dev clang-format curl protobuf-compiler
  python3-protobuf systemd logrotate procps prometheus)
# What the fuzz targets need on top (tools/fuzz): clang, and libFuzzer
# with the sanitizer runtimes (libclang_rt.fuzzer*.a), which clang only
# recommends.
BB_FUZZ_PKGS=(clang libclang-rt-dev)
# The S3 protocol server of the archive tests, from the npm registry.
BB_S3RVER_PKG=s3rver@3.7.1

# bb_need installs the packages among "$@" that are not installed yet.
bb_need() {
  local missing=() p sudo=()
  for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
      grep -q 'install ok installed'; then
      missing+=("$p")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  echo "installing missing packages: ${missing[*]}" >&2
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null
}

# bb_need_s3rver installs s3rver into $1/node_modules unless it is
# there, after Node.js and npm themselves if they are missing.
bb_need_s3rver() {
  local dir=$1
  [ -x "$dir/node_modules/.bin/s3rver" ] && return 0
  command -v npm >/dev/null || bb_need nodejs npm
  mkdir -p "$dir"
  echo "installing $BB_S3RVER_PKG into $dir" >&2
  npm install --prefix "$dir" --no-audit --no-fund --loglevel=error \
    "$BB_S3RVER_PKG" >/dev/null
}

# bb_root prints the repository root (the parent of tools/).
bb_root() {
  cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd
}
