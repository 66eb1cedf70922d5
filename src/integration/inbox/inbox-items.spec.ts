import { describe, expect, it } from '@jest/globals';
import type { PolicyView } from '../../governance/policies/policy.view.js';
import { fromDraftPolicy } from './inbox-items.js';

describe('inbox item titles', () => {
  const draft = (name: string) =>
    fromDraftPolicy({ id: 'p1', name, createdAt: '2026-12-06T00:00:00.000Z' } as PolicyView);

  it('cuts a long title to 200 characters with an ellipsis', () => {
    const title = draft('x'.repeat(300)).title;
    expect(title).toHaveLength(200);
    expect(title.endsWith('x…')).toBe(true);
  });

  it('never cuts in the middle of a surrogate pair (half an emoji is stored as U+FFFD, and audited)', () => {
    const prefix = 'Draft policy waits for activation: ';
    // The emoji's first half falls on the last character kept.
    const name = 'x'.repeat(199 - prefix.length - 1) + '🔥' + 'y'.repeat(50);
    const title = draft(name).title;
    expect(title).toBe(prefix + 'x'.repeat(199 - prefix.length - 1) + '…');
    expect(/[\ud800-\udfff]/.test(title)).toBe(false);
  });
});
