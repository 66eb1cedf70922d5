#!/bin/sh
# Runs each argument as a shell command, all at once, then prints each one's output whole, in the
# order given, and fails when any failed (naming it). For independent steps that each use about one
# core, such as ESLint, Prettier and the build before `npm test`: two cores do them in about the
# time of the longest alone, and their outputs do not interleave.
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
i=0
for cmd in "$@"; do
  i=$((i + 1))
  (
    sh -c "$cmd" >"$dir/$i.log" 2>&1
    echo $? >"$dir/$i.status"
  ) &
done
wait
i=0
failed=0
for cmd in "$@"; do
  i=$((i + 1))
  cat "$dir/$i.log"
  status=$(cat "$dir/$i.status")
  if [ "$status" -ne 0 ]; then
    echo "side-by-side: \`$cmd\` failed (exit $status)" >&2
    failed=1
  fi
done
exit $failed
