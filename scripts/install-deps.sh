#!/usr/bin/env bash
# Installs engram's build dependencies from Debian 12 packages, only those
# missing, so running it again costs nothing. Needs root (or sudo).
set -euo pipefail
pkgs=(build-essential cmake pkg-config git ca-certificates
      libfaiss-dev librocksdb-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
      libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev libcpp-httplib-dev
      libstemmer-dev libicu-dev libeigen3-dev libopenblas-dev libssl-dev
      python3-dev pybind11-dev python3-numpy python3-pip python3-setuptools python3-wheel python3-venv
      clang-14 libclang-rt-14-dev llvm-14
      rocksdb-tools nodejs npm doxygen wordnet-base)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm may come from outside Debian (e.g. nodesource); accept any working npm.
if command -v npm >/dev/null 2>&1; then
  missing=("${missing[@]/npm}"); missing=("${missing[@]/nodejs}")
fi
read -r -a missing <<< "${missing[*]}"
if [ ${#missing[@]} -gt 0 ]; then
  echo "engram: installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
