import { Command } from '@nestjs/cqrs';
import type { IntakeSettings } from '../intake-settings.js';

export interface UpdateIntakeSettingsProps {
  tenantId: string;
  /** A partial body: fields left out keep their value. */
  changes: unknown;
  /** Who asked (see actorOf); recorded in the audit log. */
  actor: string;
}

/** Replaces the tenant's intake and detection settings (admins); a 400 names every bad field, and nothing is written. */
export interface UpdateIntakeSettings extends UpdateIntakeSettingsProps {}
export class UpdateIntakeSettings extends Command<IntakeSettings> {
  constructor(props: UpdateIntakeSettingsProps) {
    super();
    Object.assign(this, props);
  }
}
