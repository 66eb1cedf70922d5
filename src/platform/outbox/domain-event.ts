/** What every event carried by the outbox has: whose it is, and which incident's loop it belongs to. */
export interface DomainEvent {
  tenantId: string;
  incidentId?: string | null;
}

export type EventClass<E extends DomainEvent = DomainEvent> = new (...args: never[]) => E;

/** Outbox rows store the class name; it must stay stable once events of that type exist. */
export function eventTypeOf(event: DomainEvent | EventClass): string {
  return typeof event === 'function' ? event.name : event.constructor.name;
}
