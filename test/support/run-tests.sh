#!/bin/sh
# `npm test [-- jest args]`: Jest on ESM, one file at a time (2 cores are shared with PostgreSQL),
# ending with the plain "N passed, N failed, N skipped" line written by summary-reporter.js.
rm -f dist/test-summary.txt
node --experimental-vm-modules node_modules/jest/bin/jest.js --runInBand "$@"
status=$?
cat dist/test-summary.txt 2>/dev/null
exit $status
