import { currentDelivery } from '../../platform/outbox/delivery-context.js';

/** When a loop stage's input arrived, when its result was published, and after how many attempts. */
export interface StageTiming {
  startedAt: string;
  completedAt: string;
  attempts: number;
}

/** Timing of the stage the current bridge is completing: it started when its trigger event was stored. */
export function stageTiming(): StageTiming {
  const delivery = currentDelivery();
  const now = new Date();
  return {
    startedAt: (delivery?.created_at ?? now).toISOString(),
    completedAt: now.toISOString(),
    attempts: delivery?.attempts ?? 1,
  };
}
