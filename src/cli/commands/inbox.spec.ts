import { describe, expect, it } from '@jest/globals';
import { CliError, EXIT } from '../exit-codes.js';
import { assigneeOption } from './inbox.js';

describe('inbox --assignee', () => {
  it('takes a person or none', () => {
    expect(assigneeOption('dana@example.com')).toBe('dana@example.com');
    expect(assigneeOption('none')).toBe('none');
  });

  it('refuses an empty value as bad usage (it would list everyone’s items)', () => {
    for (const empty of ['', '  ']) {
      let error: unknown;
      try {
        assigneeOption(empty);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(CliError);
      expect(error).toMatchObject({
        exitCode: EXIT.error,
        message: expect.stringMatching(/^--assignee needs a person/),
      });
    }
  });
});
