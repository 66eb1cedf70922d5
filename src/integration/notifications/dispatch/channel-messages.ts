import { cutText } from '../../../platform/text/cut-text.js';
import type { Severity } from '../../severities.js';
import type { Notice } from '../notice.js';

/** A console link as a message carries it: absolute with PUBLIC_URL, else only its path. */
export interface MessageLink {
  label: string;
  path: string;
  url: string | null;
}

export const linksOf = (n: Notice, publicUrl: string | null): MessageLink[] =>
  n.links.map((l) => ({ ...l, url: publicUrl === null ? null : `${publicUrl}${l.path}` }));

const MARK: Record<Severity, string> = {
  critical: ':red_circle:',
  high: ':large_orange_circle:',
  medium: ':large_yellow_circle:',
  low: ':white_circle:',
};

/** Block Kit's limits: a header's text, a section's text and a field's text. */
const HEADER_MAX = 150;
const SECTION_MAX = 3000;
const FIELD_MAX = 2000;
const MAX_FIELDS = 10;
const MAX_BUTTONS = 5;

/** Slack's mrkdwn treats &, < and > as control characters (`<!channel>`, `<@U…>`, `<url|label>`); they are sent escaped. */
const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** Escaped text cut to `max`, never inside an entity (`&am…`). */
const cutEscaped = (escaped: string, max: number) => cutText(escaped, max).replace(/&[a-z]{0,3}…$/, '…');
const mrkdwn = (text: string, max: number) => cutEscaped(escape(text), max);

/**
 * A Slack incoming-webhook message (Block Kit): a header with the title, what happened, the
 * severity, event and facts as fields, buttons back into the console (or the console paths, when
 * PUBLIC_URL is not set), and a context line. `text` is the fallback notifications show.
 */
export function slackMessage(n: Notice, publicUrl: string | null): Record<string, unknown> {
  const links = linksOf(n, publicUrl);
  const fields = [
    { label: 'Severity', value: `${MARK[n.severity]} ${n.severity}` },
    { label: 'Event', value: `\`${n.event}\`` },
    ...n.facts.map((f) => ({ label: f.label, value: escape(f.value) })),
  ]
    .slice(0, MAX_FIELDS)
    .map((f) => ({ type: 'mrkdwn', text: cutEscaped(`*${escape(f.label)}*\n${f.value}`, FIELD_MAX) }));
  const buttons = links.filter((l) => l.url !== null).slice(0, MAX_BUTTONS);
  const paths = links.filter((l) => l.url === null);
  const blocks: Array<Record<string, unknown>> = [
    { type: 'header', text: { type: 'plain_text', text: cutText(n.title, HEADER_MAX), emoji: true } },
    { type: 'section', text: { type: 'mrkdwn', text: mrkdwn(n.summary, SECTION_MAX) } },
    { type: 'section', fields },
  ];
  if (buttons.length > 0) {
    blocks.push({
      type: 'actions',
      elements: buttons.map((l) => ({
        type: 'button',
        text: { type: 'plain_text', text: cutText(l.label, 75) },
        url: l.url,
      })),
    });
  }
  const context = [`pillar-loop · ${n.occurredAt}`, ...paths.map((l) => `${escape(l.label)}: \`${l.path}\``)].join(
    ' · ',
  );
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: cutText(context, SECTION_MAX) }] });
  // The fallback is mrkdwn too, and it is what push and desktop notifications show.
  return { text: mrkdwn(`[${n.severity}] ${n.title}: ${n.summary}`, SECTION_MAX), blocks };
}

/**
 * A generic webhook's body, in the Standard Webhooks shape `{type, timestamp, data}`: the notice
 * as it is, with its links made absolute when PUBLIC_URL is set.
 */
export function webhookMessage(n: Notice, deliveryId: string, publicUrl: string | null): Record<string, unknown> {
  return { type: n.event, timestamp: n.occurredAt, data: { deliveryId, ...n, links: linksOf(n, publicUrl) } };
}
