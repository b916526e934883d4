# SPDX-License-Identifier: MIT
# tools/lib.sh -- sourced by tools/run, tools/test and tools/bench: the
# Debian packages each needs, and installing the missing ones.

# What building blobbyd needs.
BB_BUILD_PKGS=(cmake make gcc pkg-config libmicrohttpd-dev libinih-dev
  libnng-dev libprotobuf-c-dev protobuf-c-compiler libxxhash-dev)
# What the test suite needs on top.
BB_TEST_PKGS=(libcmocka-dev libcurl4-openssl-dev clang-format curl
  protobuf-compiler python3-protobuf)

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

# bb_root prints the repository root (the parent of tools/).
bb_root() {
  cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd
}
