#!/bin/bash
# run.sh - the whole test suite. Every test prints TAP lines ("ok N - name" /
# "not ok N - name"); this script runs the unit tests (cmocka, ASan+UBSan),
# replays every fuzz corpus, runs the integration tests, and closes with the
# plain summary line "N passed, N failed". Exit status is non-zero when any
# test failed or when no test ran.
set -u
cd "$(dirname "$0")/.."
LOGDIR=build/test-logs
rm -rf "$LOGDIR"; mkdir -p "$LOGDIR"
pass=0; fail=0; failed_names=()

# tally FILE: count TAP results in FILE
tally() {
	local p f
	p=$(grep -cE '^ok ' "$1" || true)
	f=$(grep -cE '^not ok ' "$1" || true)
	pass=$((pass + p)); fail=$((fail + f))
	while IFS= read -r l; do failed_names+=("$l"); done < <(grep -E '^not ok ' "$1")
}

# run_suite NAME CMD...: run one suite, keep its output, tally it. A suite
# that exits non-zero without reporting a failure counts as one failure.
run_suite() {
	local name=$1; shift
	local log="$LOGDIR/$name.log"
	echo "== $name"
	"$@" >"$log" 2>&1
	local rc=$?
	grep -E '^(not )?ok ' "$log"
	tally "$log"
	if [ $rc -ne 0 ] && ! grep -qE '^not ok ' "$log"; then
		echo "not ok - $name exited with status $rc (see $log)"
		fail=$((fail + 1)); failed_names+=("$name: exit $rc")
	fi
}

export CMOCKA_MESSAGE_OUTPUT=TAP
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

for t in build/asan/tests/test_*; do
	[ -x "$t" ] && run_suite "unit-$(basename "$t")" "$t"
done

for f in build/fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	n=$(basename "$f")
	run_suite "fuzz-replay-$n" tests/fuzz/replay.sh "$f" "tests/fuzz/corpus/$n"
done

for s in tests/integ/t_*.sh; do
	[ -f "$s" ] && run_suite "integ-$(basename "$s" .sh)" bash "$s"
done

if [ ${#failed_names[@]} -gt 0 ]; then
	echo "failures:"
	printf '  %s\n' "${failed_names[@]}"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
