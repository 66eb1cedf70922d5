// Writes "N passed, N failed, N skipped" for `npm test` to print after Jest's own output,
// so a run ends with one plain summary line.
import { mkdirSync, writeFileSync } from 'node:fs';

export const SUMMARY_FILE = 'dist/test-summary.txt';

export default class SummaryReporter {
  onRunComplete(_contexts, results) {
    const { numPassedTests, numFailedTests, numPendingTests, numTodoTests, numRuntimeErrorTestSuites } = results;
    const failed = numFailedTests + numRuntimeErrorTestSuites;
    mkdirSync('dist', { recursive: true });
    writeFileSync(
      SUMMARY_FILE,
      `${numPassedTests} passed, ${failed} failed, ${numPendingTests + numTodoTests} skipped\n`,
    );
  }
}
