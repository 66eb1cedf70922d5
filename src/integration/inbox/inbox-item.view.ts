import { ApiProperty } from '@nestjs/swagger';
import { SEVERITIES, type Severity } from '../severities.js';

/** The kinds of things that wait for a person (DESIGN §12), in the order the inbox lists them when equally urgent. */
export const INBOX_KINDS = [
  'operator_step',
  'guardrail_hold',
  'review',
  'escalation',
  'work_order',
  'draft_policy',
] as const;
export type InboxKind = (typeof INBOX_KINDS)[number];

export class InboxSubject {
  @ApiProperty({ example: 'run', description: 'pattern, run, recovery, work_order, policy or escalation' })
  type!: string;
  @ApiProperty() id!: string;
}

export class InboxItem {
  @ApiProperty({
    example: 'operator_step:0190a0a0-0000-7000-8000-000000000001:restart',
    description: '`<kind>:<what waits>`',
  })
  id!: string;
  @ApiProperty({ enum: INBOX_KINDS }) kind!: InboxKind;
  @ApiProperty() title!: string;
  @ApiProperty({ type: InboxSubject }) subject!: InboxSubject;
  @ApiProperty({ enum: SEVERITIES }) priority!: Severity;
  @ApiProperty({ format: 'date-time', description: 'since when it waits' }) createdAt!: string;
  @ApiProperty({
    type: String,
    nullable: true,
    format: 'date-time',
    description: 'when it stops waiting by itself (a review expires, a step times out, an escalation disarms)',
  })
  deadline!: string | null;
  @ApiProperty({ type: String, nullable: true }) assignee!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time', description: 'hidden from the inbox until then' })
  snoozedUntil!: string | null;
  @ApiProperty({
    example: '/console/runs/0190a0a0-0000-7000-8000-000000000001',
    description: 'the console page where it is dealt with',
  })
  link!: string;
}

export class InboxPage {
  @ApiProperty({ type: [InboxItem] }) items!: InboxItem[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}

export class InboxCounts implements Record<InboxKind, number> {
  @ApiProperty() operator_step!: number;
  @ApiProperty() guardrail_hold!: number;
  @ApiProperty() review!: number;
  @ApiProperty() escalation!: number;
  @ApiProperty() work_order!: number;
  @ApiProperty() draft_policy!: number;
}

/** What the navigation shows: how many items wait, by kind, not counting snoozed ones. */
export class InboxSummary {
  @ApiProperty() total!: number;
  @ApiProperty({ type: InboxCounts }) byKind!: InboxCounts;
  @ApiProperty({ description: 'snoozed items, counted apart' }) snoozed!: number;
}

/** The kind an item id names, or null when it names none. */
export function kindOfItemId(id: string): InboxKind | null {
  const kind = id.slice(0, id.indexOf(':'));
  return (INBOX_KINDS as readonly string[]).includes(kind) && /^[a-z_]+:[A-Za-z0-9:._-]{1,200}$/.test(id)
    ? (kind as InboxKind)
    : null;
}
