#!/usr/bin/env bash
# The checked builds, run by scripts/test.sh after the main tests (each also alone: `checked.sh asan`):
#   asan  the native unit tests, the headless app tests and the CLI tests with AddressSanitizer +
#         UndefinedBehaviorSanitizer (build/asan)
#   tsan  the unit tests (thread pool, sampling job, thread-count determinism) with
#         ThreadSanitizer (build/tsan), but for three per-instruction-set / per-noise sweeps
#   fuzz  every libFuzzer target (clang, build/fuzz) for CFDM_FUZZ_SECONDS each (default 30), as many
#         at a time as there are cores, on its seed corpus in tests/fuzz/corpus; a crash fails the
#         run and leaves its input in build/fuzz/crashes
# Needs scripts/setup.sh and scripts/build.sh to have run (the test data and Dear ImGui).
source "$(dirname "$0")/common.sh"
stages=("$@")
[ ${#stages[@]} -eq 0 ] && stages=(asan tsan fuzz)

configure() {  # configure DIR [cmake options...]
  local dir="$1"
  shift
  cmake -S "$ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" "$@" > "$dir.configure.log" 2>&1 ||
    { cat "$dir.configure.log"; exit 1; }
}

for stage in "${stages[@]}"; do
  case "$stage" in
    asan)
      say "AddressSanitizer + UndefinedBehaviorSanitizer: unit, app and CLI tests (build/asan)"
      configure "$ROOT/build/asan" -DCFDM_SANITIZE=address,undefined
      targets=(cfdm cfdm_tests)
      # (Asked of ninja directly: `ninja -t targets | grep -q` would race under pipefail, grep
      # leaving early and ninja dying of SIGPIPE.)
      ninja -C "$ROOT/build/asan" -t query cfdm_app_tests > /dev/null 2>&1 && targets+=(cfdm_app_tests)
      ninja -C "$ROOT/build/asan" -j "$JOBS" "${targets[@]}"
      say "running the AddressSanitizer + UndefinedBehaviorSanitizer tests"
      (cd "$ROOT/build/asan" &&
       ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
       ctest --output-on-failure -j "$JOBS" -R '^(unit\..*|app\..*|cli_native)$')
      ;;
    tsan)
      say "ThreadSanitizer: unit tests (build/tsan)"
      configure "$ROOT/build/tsan" -DCFDM_SANITIZE=thread
      ninja -C "$ROOT/build/tsan" -j "$JOBS" cfdm_tests
      say "running the ThreadSanitizer tests"
      # All but three sweeps that repeat the same threaded code per instruction set or noise level
      # (4 of TSan's 5 minutes; they run natively and under ASan): the thread pool, the job and
      # every model's thread-count tests stay.
      TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 "$ROOT/build/tsan/tests/cfdm_tests" --gtest_brief=1 \
        --gtest_filter='-Golden.EveryScenarioGivesItsCommittedSamplesOnEveryInstructionSet:Neighbors.BoxTreeEqualsOracleInEveryDimensionAndIsa:Ivf.ARecallTargetHoldsAtEveryNoiseLevel'
      ;;
    fuzz)
      seconds=${CFDM_FUZZ_SECONDS:-30}
      say "building the libFuzzer targets (clang, build/fuzz)"
      CC=clang CXX=clang++ configure "$ROOT/build/fuzz" -DCFDM_FUZZ=ON
      ninja -C "$ROOT/build/fuzz" -j "$JOBS"
      say "fuzzing every parser for $seconds s each, $JOBS at a time (each fuzzer runs on one core)"
      mkdir -p "$ROOT/build/fuzz/crashes"
      fuzz_one() {  # fuzz_one NAME CORPUS: its summary line, or its log's end and a non-zero exit
        local name="$1" corpus="$2" work="$ROOT/build/fuzz/corpus-$1"  # the seeds plus what it finds (outside the repository)
        mkdir -p "$work"
        if ! "$ROOT/build/fuzz/tests/fuzz/fuzz_$name" -max_total_time="$seconds" -rss_limit_mb=2048 \
             -malloc_limit_mb=1024 -timeout=10 -print_final_stats=0 \
             -artifact_prefix="$ROOT/build/fuzz/crashes/$name-" "$work" "$corpus" > "$ROOT/build/fuzz/$name.log" 2>&1; then
          tail -40 "$ROOT/build/fuzz/$name.log"
          echo "fuzz_$name found a failure: its input is in build/fuzz/crashes/" >&2
          return 1
        fi
        printf '  fuzz_%s: %s\n' "$name" "$(grep -Eo 'Done [0-9]+ runs in [0-9]+ second' "$ROOT/build/fuzz/$name.log" | tail -1)"
      }
      pids=()
      failed=0
      for corpus in "$ROOT"/tests/fuzz/corpus/*/; do
        fuzz_one "$(basename "$corpus")" "$corpus" &
        pids+=($!)
        if [ ${#pids[@]} -ge "$JOBS" ]; then
          for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
          pids=()
        fi
      done
      for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
      [ "$failed" -eq 0 ] || exit 1
      ;;
    *) echo "checked.sh: unknown stage $stage (asan, tsan, fuzz)" >&2; exit 2 ;;
  esac
done
