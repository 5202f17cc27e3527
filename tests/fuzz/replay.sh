#!/bin/sh
# replay.sh FUZZER CORPUS_DIR - run every saved input of a libFuzzer target
# once (no fuzzing) and report one TAP line per target.
# A UBSan report fails the replay like an ASan one.
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
f=$1; dir=$2; n=$(basename "$f")
if [ ! -d "$dir" ] || [ -z "$(ls -A "$dir")" ]; then
	echo "not ok 1 - $n: corpus $dir is empty"; exit 1
fi
count=$(ls "$dir" | wc -l)
if "$f" -runs=0 "$dir"/* >/dev/null 2>&1; then
	echo "ok 1 - $n replays $count corpus inputs"
else
	echo "not ok 1 - $n crashed on its corpus"; "$f" "$dir"/* 2>&1 | tail -20; exit 1
fi
