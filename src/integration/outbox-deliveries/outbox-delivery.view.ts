import { ApiProperty } from '@nestjs/swagger';
import type { RegisteredHandler } from '../../platform/outbox/handler-registry.js';
import {
  DELIVERY_STATUSES,
  type DeliveryStatus,
  type StoredDeliveryRow,
} from '../../platform/outbox/outbox.repository.js';
import { isLoopStage, type LoopStage } from '../loop-status/loop-stages.js';

export class OutboxDeliveryView {
  @ApiProperty({ example: '1042', description: 'the delivery of one event to one handler (a decimal integer)' })
  id!: string;
  @ApiProperty({ example: 'bridge_4.policy-to-routing' }) handler!: string;
  @ApiProperty({ example: 'PolicyActivated' }) eventType!: string;
  @ApiProperty({ format: 'uuid' }) eventId!: string;
  @ApiProperty({ type: String, nullable: true, format: 'uuid', description: 'null: an event of no incident' })
  incidentId!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      "the loop stage it shows on (the incident's loop); null for a handler of no stage or an event of no incident",
  })
  loopStage!: LoopStage | null;
  @ApiProperty({
    enum: DELIVERY_STATUSES,
    description:
      'pending: waiting, running or waiting for a retry; held: its flag is off; done; dead: failed for good (retryable by hand)',
  })
  status!: DeliveryStatus;
  @ApiProperty() attempts!: number;
  @ApiProperty({ type: String, nullable: true, description: "the last attempt's error" })
  lastError!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({
    type: String,
    nullable: true,
    format: 'date-time',
    description: 'pending: when it is next due (or its lease ends)',
  })
  availableAt!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time', description: 'done or dead: when' })
  processedAt!: string | null;
}

export class OutboxDeliveryPage {
  @ApiProperty({ type: [OutboxDeliveryView] }) items!: OutboxDeliveryView[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}

/** The loop stage a delivery of this handler shows on, if it has one and the event an incident. */
export function loopStageOf(
  row: Pick<StoredDeliveryRow, 'incident_id' | 'event_type'>,
  handler: RegisteredHandler | undefined,
): LoopStage | null {
  const stage = handler?.loopStage ?? handler?.loopStages?.[row.event_type];
  return row.incident_id && stage && isLoopStage(stage) ? stage : null;
}

export const outboxDeliveryView = (
  r: StoredDeliveryRow,
  handler: RegisteredHandler | undefined,
): OutboxDeliveryView => ({
  id: r.id,
  handler: r.handler,
  eventType: r.event_type,
  eventId: r.event_id,
  incidentId: r.incident_id,
  loopStage: loopStageOf(r, handler),
  status: r.status,
  attempts: r.attempts,
  lastError: r.last_error,
  createdAt: r.created_at.toISOString(),
  availableAt: r.status === 'pending' ? r.available_at.toISOString() : null,
  processedAt: r.processed_at?.toISOString() ?? null,
});
