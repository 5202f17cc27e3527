#!/bin/sh
# campaign.sh [RUNS] TARGET... - a fuzz campaign, one target at a time:
# build/fuzz/fuzz_X runs RUNS executions (default 10000000) over the
# working corpus build/corpus/fuzz_X seeded by tests/fuzz/corpus/fuzz_X,
# then the grown inputs that add coverage are merged (-merge=1) into the
# committed corpus. A UBSan report stops the run like an ASan one.
# Prints one line per target: name, executions reached, crash files, corpus
# size; the full libFuzzer output is in build/campaign/fuzz_X.log.
# FUZZ_SECONDS=N also stops each target after N seconds (the line then
# shows the executions reached).
# Run it niced on a shared machine: nice -n 10 tests/fuzz/campaign.sh ...
runs=10000000
case $1 in [0-9]*) runs=$1; shift ;; esac
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
mkdir -p build/campaign
for t in "$@"; do
	n=$(basename "$t")
	f=build/fuzz/$n
	[ -x "$f" ] || { echo "$n: no binary $f (make $f)"; continue; }
	mkdir -p "build/corpus/$n" "build/campaign/$n.crashes" "tests/fuzz/corpus/$n"
	log=build/campaign/$n.log
	"$f" -runs="$runs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 ${FUZZ_SECONDS:+-max_total_time=$FUZZ_SECONDS} \
		-artifact_prefix="build/campaign/$n.crashes/" \
		"build/corpus/$n" "tests/fuzz/corpus/$n" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	[ -n "$execs" ] || execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
	"$f" -merge=1 "tests/fuzz/corpus/$n" "build/corpus/$n" >"build/campaign/$n.merge.log" 2>&1
	crashes=$(ls "build/campaign/$n.crashes" | wc -l)
	echo "$n runs=$execs rc=$rc crashes=$crashes corpus=$(ls "tests/fuzz/corpus/$n" | wc -l) files $(du -sk --apparent-size "tests/fuzz/corpus/$n" | cut -f1) KiB $(date -u +%F)"
done
