#!/usr/bin/env bash
# Builds the GGUF libFuzzer target with clang-14 (ASan + UBSan) into build-fuzz/ and runs it on
# the seed corpus (tests/fuzz/corpus/) for N seconds. Exits non-zero on a crash, a leak, a
# sanitizer report or a build failure; the crashing input is left in build-fuzz/artifacts/.
#
# Usage: tools/fuzz_smoke.sh [SECONDS]   (default 60)
# Env:   SLM_FUZZ_BUILD_DIR (default build-fuzz), SLM_JOBS (default 2), CC/CXX are not used:
#        the compiler is clang-14 / clang++-14 unless SLM_FUZZ_CXX / SLM_FUZZ_CC say otherwise.
set -euo pipefail

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "fuzz_smoke: SECONDS must be a positive integer, got '$seconds'" >&2
  exit 2
fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${SLM_FUZZ_BUILD_DIR:-$root/build-fuzz}"
cc="${SLM_FUZZ_CC:-clang-14}"
cxx="${SLM_FUZZ_CXX:-clang++-14}"
jobs="${SLM_JOBS:-2}"

for tool in "$cc" "$cxx" cmake; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "fuzz_smoke: $tool not found (apt-get install clang-14 libclang-rt-14-dev cmake)" >&2
    exit 2
  fi
done

generator=()
if command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi

echo "fuzz_smoke: configuring $build with $cxx"
cmake -S "$root" -B "$build" "${generator[@]}" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" \
  -DSLM_FUZZ=ON -DSLM_BUILD_TESTS=OFF -DSLM_BUILD_BENCH=OFF -DSLM_WERROR=OFF -DSLM_SANITIZE=OFF >/dev/null
cmake --build "$build" --target gguf_fuzz -j "$jobs"

fuzzer="$build/tests/fuzz/gguf_fuzz"
seeds="$root/tests/fuzz/corpus"
work="$build/corpus"          # new inputs go here, never into the committed seeds
artifacts="$build/artifacts"
mkdir -p "$work" "$artifacts"
log="$build/fuzz.log"

echo "fuzz_smoke: running $fuzzer for ${seconds}s on $seeds (log: $log)"
status=0
ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}" \
UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
  "$fuzzer" "$work" "$seeds" \
    -dict="$root/tests/fuzz/gguf.dict" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1 || status=$?

# The run's last coverage line and the final statistics.
grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$log" | tail -n 1 || true
grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' "$log" || true
if [ "$status" -ne 0 ]; then
  echo "fuzz_smoke: FAILED (exit $status); the end of the log:" >&2
  tail -n 60 "$log" >&2
  ls -l "$artifacts" >&2 || true
  exit "$status"
fi
echo "fuzz_smoke: OK, no crash in ${seconds}s"
