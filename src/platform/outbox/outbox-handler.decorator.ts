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
}

/**
 * Marks an `@EventsHandler` as durable: its events are written to the outbox in the
 * publishing transaction and handled by the relay, inside a transaction of its own.
 */
export const OutboxHandler = (options: OutboxHandlerOptions) => SetMetadata(OUTBOX_HANDLER, options);
