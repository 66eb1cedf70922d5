import { describe, expect, it } from '@jest/globals';
import type { Notice } from '../notice.js';
import { slackMessage, webhookMessage } from './channel-messages.js';

const notice: Notice = {
  event: 'run.failed',
  severity: 'high',
  title: 'Recovery run failed: restart-pod',
  summary: 'step restart failed: HTTP 500 <html> & more',
  subjectKey: 'fault:p1:agent-7:billing',
  subject: { type: 'run', id: 'r1' },
  agentId: 'agent-7',
  capability: 'billing',
  facts: [{ label: 'Agent', value: 'agent-7' }],
  links: [
    { label: 'Open run', path: '/console/runs/r1' },
    { label: 'Open incident', path: '/console/incidents/i1' },
  ],
  occurredAt: '2026-01-05T10:00:00.000Z',
};

/** The parts of a Block Kit block these checks read. */
interface Block {
  type: string;
  text: { text: string };
  fields: Array<{ text: string }>;
  elements: Array<{ text: string; url?: string }>;
}

describe('channel messages', () => {
  it('Slack: a Block Kit message with title, what happened, severity, facts and buttons into the console', () => {
    const m = slackMessage(notice, 'https://pl.example.com') as { text: string; blocks: Block[] };
    expect(m.text).toContain('Recovery run failed');
    expect(m.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: notice.title, emoji: true } });
    expect(m.blocks[1].text.text).toBe('step restart failed: HTTP 500 &lt;html&gt; &amp; more');
    expect(m.blocks[2].fields.map((f: { text: string }) => f.text)).toEqual([
      '*Severity*\n:large_orange_circle: high',
      '*Event*\n`run.failed`',
      '*Agent*\nagent-7',
    ]);
    expect(m.blocks[3]).toMatchObject({
      type: 'actions',
      elements: [
        { url: 'https://pl.example.com/console/runs/r1' },
        { url: 'https://pl.example.com/console/incidents/i1' },
      ],
    });
    expect(m.blocks[4].type).toBe('context');
  });

  it('Slack without PUBLIC_URL: no buttons, the console paths in the context line', () => {
    const m = slackMessage(notice, null) as { blocks: Block[] };
    expect(m.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'context']);
    expect(m.blocks[3].elements[0].text).toContain('`/console/runs/r1`');
  });

  it('keeps within Block Kit limits', () => {
    const long = slackMessage({ ...notice, title: 't'.repeat(400), summary: 's'.repeat(5000) }, null) as {
      blocks: Block[];
    };
    expect(long.blocks[0].text.text.length).toBeLessThanOrEqual(150);
    expect(long.blocks[1].text.text.length).toBeLessThanOrEqual(3000);
  });

  it('Slack: text from incidents and actuators can neither mention nor link, the fallback text included', () => {
    const hostile = '<!channel> <@U024BE7LH> see <https://evil.example/login|the console>';
    const m = slackMessage({ ...notice, title: `Run failed ${hostile}`, summary: hostile }, null) as {
      text: string;
      blocks: Block[];
    };
    for (const text of [m.text, m.blocks[1].text.text]) {
      expect(text).not.toMatch(/[<>]/);
      expect(text).toContain('&lt;!channel&gt; &lt;@U024BE7LH&gt;');
    }
  });

  it('cuts escaped text between entities, never inside one', () => {
    const m = slackMessage({ ...notice, summary: `${'s'.repeat(2997)}&&&&` }, null) as { blocks: Block[] };
    const cut = m.blocks[1].text.text;
    expect(cut.length).toBeLessThanOrEqual(3000);
    expect(cut).toMatch(/s…$/);
  });

  it('webhook: {type, timestamp, data} with absolute links', () => {
    const m = webhookMessage(notice, 'd1', 'https://pl.example.com') as { type: string; data: { links: unknown[] } };
    expect(m).toMatchObject({
      type: 'run.failed',
      timestamp: notice.occurredAt,
      data: { deliveryId: 'd1', severity: 'high', subject: { type: 'run', id: 'r1' } },
    });
    expect(m.data.links[0]).toEqual({
      label: 'Open run',
      path: '/console/runs/r1',
      url: 'https://pl.example.com/console/runs/r1',
    });
  });
});
