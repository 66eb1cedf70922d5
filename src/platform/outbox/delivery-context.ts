import { AsyncLocalStorage } from 'node:async_hooks';
import type { DeliveryRow } from './outbox.repository.js';

const storage = new AsyncLocalStorage<DeliveryRow>();

/** The outbox delivery being handled right now (attempt number, when its event was stored). */
export function currentDelivery(): DeliveryRow | undefined {
  return storage.getStore();
}

export function runInDelivery<T>(delivery: DeliveryRow, work: () => Promise<T>): Promise<T> {
  return storage.run(delivery, work);
}
