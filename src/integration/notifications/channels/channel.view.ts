import { ApiProperty } from '@nestjs/swagger';
import { auditedUrl } from '../../../platform/audit/audited-url.js';

export const CHANNEL_TYPES = ['slack', 'webhook'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

export interface ChannelRow {
  tenant_id: string;
  name: string;
  type: ChannelType;
  /** The URL sealed with the secrets key (a Slack incoming-webhook URL is itself a secret). */
  url_sealed: string;
  /** What is shown: a webhook's URL with its query values masked, or a Slack URL with its secret path cut. */
  url_shown: string;
  /** webhook: the Standard Webhooks signing secret, sealed; slack: null. */
  secret_sealed: string | null;
  timeout_ms: number;
  created_at: Date;
  updated_at: Date;
}

export class ChannelView {
  @ApiProperty() name!: string;
  @ApiProperty({ enum: CHANNEL_TYPES }) type!: ChannelType;
  @ApiProperty({
    description: "a webhook's URL, its query's values masked (`?token=…`); a Slack URL masked (its path is its secret)",
  })
  url!: string;
  @ApiProperty() timeoutMs!: number;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class ChannelList {
  @ApiProperty({ type: [ChannelView] }) items!: ChannelView[];
}

/** The answer to a PUT: a webhook channel's new signing secret, this once. */
export class ChannelWithSecret extends ChannelView {
  @ApiProperty({
    required: false,
    example: 'whsec_…',
    description:
      "a webhook channel's new signing secret, shown this once: when created, rotated, changed to a webhook, or " +
      'when its stored secret could not be opened (SECRETS_KEY changed), which a PUT replaces',
  })
  secret?: string;
}

/** Never carries a secret: the signing secret is shown once, in the answer to the PUT that made it. */
export const channelView = (r: ChannelRow): ChannelView => ({
  name: r.name,
  type: r.type,
  url: r.url_shown,
  timeoutMs: r.timeout_ms,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

/** What the audit log keeps of a channel: never a secret; of its URL (as shown: a Slack URL masked), auditedUrl. */
export const auditedChannel = (r: ChannelRow) => ({
  name: r.name,
  type: r.type,
  ...auditedUrl(r.url_shown),
  timeoutMs: r.timeout_ms,
});

/**
 * A Slack incoming-webhook URL's path is its credential: only the origin and the path's last four
 * characters are shown (`https://hooks.slack.com/…/Xy9Z`), enough to tell two apart.
 */
export function maskedUrl(url: string): string {
  const u = new URL(url);
  const path = u.pathname + u.search;
  return `${u.origin}/…${path.length > 8 ? path.slice(-4) : ''}`;
}
