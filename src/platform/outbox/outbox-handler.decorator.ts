import { SetMetadata } from '@nestjs/common';
import type { FlagName } from '../config/config.js';

export const OUTBOX_HANDLER = 'pillar-loop:outbox-handler';

export interface OutboxHandlerOptions {
  /** Stable name stored with each delivery; never rename a handler that has pending rows. */
  name: string;
  /** Deliveries are held while this flag (or `integration_loop`) is off for the event's tenant. */
  flag?: FlagName;
  /** The loop stage this handler produces, reported when its delivery fails or is held. */
  loopStage?: string;
  /**
   * For the handler that records the loop itself (bridge 5): by event type, the stage an event
   * completes. A dead letter of it shows `failed` on that stage, and any `retry/:stage` of the
   * incident re-queues its dead letters.
   */
  loopStages?: Record<string, string>;
  /**
   * What must not be handled at the same time. Within a batch, deliveries with different keys
   * are handled concurrently (their statements pipelined on the batch's connection), those with
   * the same key one after another, in storage order. Without it, a batch runs one delivery
   * after another. Choose the key so that concurrent handlers never depend on each other's writes.
   */
  serializeBy?: (event: never) => string;
  /**
   * Which of its events it takes, judged by their content alone when they are published: no
   * delivery is stored for the others (a handler that would return at once costs a row, a batch
   * and a commit). Without it, every event of its types. It runs in the publishing transaction:
   * keep it a pure function of the event that never throws.
   */
  takes?: (event: never) => boolean;
}

/**
 * Marks an `@EventsHandler` as durable: its events are written to the outbox in the
 * publishing transaction and handled by the relay, inside a transaction of its own.
 */
export const OutboxHandler = (options: OutboxHandlerOptions) => SetMetadata(OUTBOX_HANDLER, options);
