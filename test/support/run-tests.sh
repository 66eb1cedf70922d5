#!/bin/sh
# `npm test [-- jest args]`: Jest on ESM, two files at a time, ending with the plain
# "N passed, N failed, N skipped" line written by summary-reporter.js. Most files wait on the
# database, timers and child processes more than they compute, so two workers on two cores keep the
# suite well under 15 minutes; each file has a database of its own (test-database.ts).
# Worker processes rather than --runInBand: Jest replaces one once it holds over 1 GB after a file,
# so the heap (and whatever a test left running) does not grow over the suite and slow later files.
rm -f dist/test-summary.txt
node --experimental-vm-modules node_modules/jest/bin/jest.js --maxWorkers=2 --workerIdleMemoryLimit=1GB "$@"
status=$?
cat dist/test-summary.txt 2>/dev/null
exit $status
