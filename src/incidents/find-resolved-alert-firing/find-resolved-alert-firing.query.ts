import { Query } from '@nestjs/cqrs';

export interface FindResolvedAlertFiringProps {
  tenantId: string;
  fingerprint: string;
  /** The firing's `startsAt`, as Alertmanager sent it. */
  startsAt: string;
  /** How long ago, by the database's clock, monitoring may have resolved it. */
  withinMs: number;
}

/**
 * The incident monitoring resolved within `withinMs` for this very firing of an alert (same
 * fingerprint, same `startsAt`): its id, or null. A firing copy of it is news older than the
 * resolution (the other member of an Alertmanager HA pair, a retried notification).
 */
export interface FindResolvedAlertFiring extends FindResolvedAlertFiringProps {}
export class FindResolvedAlertFiring extends Query<string | null> {
  constructor(props: FindResolvedAlertFiringProps) {
    super();
    Object.assign(this, props);
  }
}
