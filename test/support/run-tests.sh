#!/bin/sh
# `npm test [-- jest args]`: Jest on ESM, one file at a time (2 cores are shared with PostgreSQL),
# ending with the plain "N passed, N failed, N skipped" line written by summary-reporter.js.
# One worker process rather than --runInBand: Jest replaces it once it holds over 1 GB after a file,
# so the heap (and whatever a test left running) does not grow over the suite and slow later files.
rm -f dist/test-summary.txt
node --experimental-vm-modules node_modules/jest/bin/jest.js --maxWorkers=1 --workerIdleMemoryLimit=1GB "$@"
status=$?
cat dist/test-summary.txt 2>/dev/null
exit $status
