#!/usr/bin/env bash
# Sets up slm on a fresh Debian 12 machine: installs the build dependencies (apt), fetches the
# default model (or all known models) into the model cache, and builds into build/.
# This is the one place that says what a machine needs; README and .ci/run both use it.
#
# Usage: tools/setup.sh [--all-models] [--no-apt] [--no-models] [--no-build]
#                       [--build-dir DIR] [--build-type TYPE] [-- EXTRA_CMAKE_ARGS...]
# Env:   SLM_JOBS (parallel build jobs, default: all cores), SLM_MODELS_DIR (model cache).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
all_models=0 do_apt=1 do_models=1 do_build=1
build_dir="$root/build" build_type=Release
cmake_extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --all-models) all_models=1 ;;
    --no-apt) do_apt=0 ;;
    --no-models) do_models=0 ;;
    --no-build) do_build=0 ;;
    --build-dir) build_dir="$2"; shift ;;
    --build-type) build_type="$2"; shift ;;
    --) shift; cmake_extra=("$@"); break ;;
    -h|--help) sed -n '2,9p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "setup: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
jobs="${SLM_JOBS:-$(nproc)}"
log() { echo "[setup] $*" >&2; }

# Debian packages: compilers and build tools, the libraries slm links, test and bench
# frameworks, clang-14 with its runtime for the fuzzer, and Python's pip for fetching models.
PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libcli11-dev libpcre2-dev
  clang-14 libclang-rt-14-dev
  python3 python3-pip
)

if [ "$do_apt" = 1 ]; then
  missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    sudo=()
    if [ "$(id -u)" -ne 0 ]; then
      command -v sudo >/dev/null 2>&1 || { log "need root (or sudo) to install: ${missing[*]}"; exit 1; }
      sudo=(sudo)
    fi
    log "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -q
    "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
  else
    log "Debian packages: all present"
  fi
fi

if [ "$do_models" = 1 ]; then
  if [ "$all_models" = 1 ]; then
    python3 "$root/tools/fetch_models.py" --all
    # Small random-weight models of each family (seconds; needs pip's numpy and gguf, and
    # llama-cpp-python for the q4_k files); family_golden_test skips without them.
    python3 "$root/tools/make_family_models.py" || log "family test models not written (pip install numpy gguf llama-cpp-python)"
  else
    python3 "$root/tools/fetch_models.py"
  fi
fi

if [ "$do_build" = 1 ]; then
  generator=()
  if command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
  log "building $build_type into $build_dir with $jobs jobs"
  cmake -S "$root" -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE="$build_type" "${cmake_extra[@]}"
  cmake --build "$build_dir" -j "$jobs"
  log "done: $build_dir/slm"
fi
