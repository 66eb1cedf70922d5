import { Query } from '@nestjs/cqrs';

export interface FindRecentAlertResolutionsProps {
  tenantId: string;
  fingerprints: string[];
  /** How long ago, by the database's clock, monitoring may have resolved them. */
  withinMs: number;
}

/** An alert's last resolution by monitoring: its incident, and when the alert ended by monitoring's clock (null: not said). */
export interface AlertResolution {
  incidentId: string;
  alertEndedAt: Date | null;
}

/**
 * For each of these alert fingerprints, the last resolution by monitoring within `withinMs`, if
 * any (the intake tells late copies of a resolved firing by it).
 */
export interface FindRecentAlertResolutions extends FindRecentAlertResolutionsProps {}
export class FindRecentAlertResolutions extends Query<Map<string, AlertResolution>> {
  constructor(props: FindRecentAlertResolutionsProps) {
    super();
    Object.assign(this, props);
  }
}
