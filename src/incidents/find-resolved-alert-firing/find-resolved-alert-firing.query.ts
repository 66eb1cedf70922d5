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
 * The incident of an alert that monitoring resolved within `withinMs`, when this firing of the
 * alert started before the alert ended (the resolved alert's `endsAt`): its id, or null. Such a
 * firing is news older than the resolution (the other member of an Alertmanager HA pair, a
 * retried notification); a new firing starts after the last one ended, as Alertmanager tells them apart.
 */
export interface FindResolvedAlertFiring extends FindResolvedAlertFiringProps {}
export class FindResolvedAlertFiring extends Query<string | null> {
  constructor(props: FindResolvedAlertFiringProps) {
    super();
    Object.assign(this, props);
  }
}
