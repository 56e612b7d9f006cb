#!/usr/bin/env bash
# The coverage-guided fuzzers (server/fuzz): libFuzzer through cargo-fuzz, without a sanitizer,
# so on stable Rust. Each target starts from its committed seeds (server/fuzz/seeds/TARGET, the
# hand-made examples) and its committed corpus (server/fuzz/corpus/TARGET, what earlier runs
# found, shrunk by `merge`: about a megabyte of small files per target).
#
#   scripts/fuzz.sh smoke [SECONDS]       every target for SECONDS each (default 20; test.sh)
#   scripts/fuzz.sh run TARGET [ARGS...]  one target with libFuzzer's ARGS, e.g. -runs=1000000
#   scripts/fuzz.sh merge TARGET          shrink the corpus to the inputs that add coverage (commit it)
#   scripts/fuzz.sh seeds                 rewrite the seed inputs (server/fuzz/src/bin/seeds.rs)
#
# A crash leaves its input in server/fuzz/artifacts/TARGET; replay it with
# `scripts/fuzz.sh run TARGET server/fuzz/artifacts/TARGET/crash-…`.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

FUZZ_DIR="${ROOT}/server/fuzz"
TARGETS=(upload query)
# Instrumented builds share nothing with the normal ones.
FUZZ_TARGET_DIR="${CARGO_TARGET_DIR}/fuzz"
# Larger than any seed; small enough that one run stays well under a millisecond or two.
MAX_LEN=65536

ensure_cargo_fuzz

fuzz() {
  # -s none: no sanitizer (nightly only); the targets check the heap themselves (heap.rs).
  cargo fuzz "$1" --fuzz-dir "$FUZZ_DIR" --sanitizer none --target-dir "$FUZZ_TARGET_DIR" "${@:2}"
}

run_target() {
  local target="$1"; shift
  mkdir -p "${FUZZ_DIR}/corpus/${target}" "${FUZZ_DIR}/artifacts/${target}"
  # The first directory receives the new inputs; the seeds are read only.
  # -rss_limit_mb: a whole-process backstop above the targets' own per-input budget.
  fuzz run "$target" "${FUZZ_DIR}/corpus/${target}" "${FUZZ_DIR}/seeds/${target}" -- \
    -max_len="$MAX_LEN" -rss_limit_mb=1024 -timeout=10 \
    -artifact_prefix="${FUZZ_DIR}/artifacts/${target}/" "$@"
}

case "${1:-smoke}" in
  smoke)
    seconds="${2:-20}"
    for target in "${TARGETS[@]}"; do
      step "Fuzzing ${target} for ${seconds} s"
      # A short run writes what it finds to a scratch directory, so the committed corpus is
      # read but not changed by the test suite.
      scratch="$(mktemp -d)"
      mkdir -p "${FUZZ_DIR}/corpus/${target}" "${FUZZ_DIR}/artifacts/${target}"
      fuzz run "$target" "$scratch" "${FUZZ_DIR}/seeds/${target}" "${FUZZ_DIR}/corpus/${target}" -- \
        -max_len="$MAX_LEN" -rss_limit_mb=1024 -timeout=10 -max_total_time="$seconds" \
        -artifact_prefix="${FUZZ_DIR}/artifacts/${target}/" -print_final_stats=1
      rm -rf "$scratch"
    done
    ;;
  run)
    run_target "${2:?which target: ${TARGETS[*]}}" "${@:3}"
    ;;
  merge)
    target="${2:?which target: ${TARGETS[*]}}"
    merged="$(mktemp -d)"
    mkdir -p "${FUZZ_DIR}/corpus/${target}"
    fuzz run "$target" "$merged" "${FUZZ_DIR}/seeds/${target}" "${FUZZ_DIR}/corpus/${target}" -- \
      -merge=1 -max_len="$MAX_LEN"
    rm -rf "${FUZZ_DIR}/corpus/${target}"
    mv "$merged" "${FUZZ_DIR}/corpus/${target}"
    chmod 755 "${FUZZ_DIR}/corpus/${target}"
    ;;
  seeds)
    # An ordinary build: without libFuzzer's runtime an instrumented binary does not link.
    # Needed only when the forms the server accepts change.
    cargo run --release --manifest-path "${FUZZ_DIR}/Cargo.toml" --target-dir "${FUZZ_TARGET_DIR}/seeds" --bin seeds
    ;;
  *)
    echo "usage: scripts/fuzz.sh smoke [SECONDS] | run TARGET [ARGS...] | merge TARGET | seeds" >&2
    exit 2
    ;;
esac
