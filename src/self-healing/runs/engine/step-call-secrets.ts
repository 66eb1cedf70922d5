import { Injectable } from '@nestjs/common';
import { SecretBox } from '../../../platform/crypto/secret-box.js';
import type { ActuatorRow } from '../../actuators/actuator.repository.js';
import { openActuator } from '../../actuators/open-actuator.js';

/**
 * The secrets a step's calls carried (the actuator's header values, URL query credentials and signing
 * secret), sealed on the step when a call is made, so that its late result is redacted of them even
 * after the actuator was changed or removed (ADR 0013). Kept while the step may still take a late
 * result: the repository clears them once the step finishes.
 */
@Injectable()
export class StepCallSecrets {
  constructor(private readonly box: SecretBox) {}

  /**
   * What to store on the step for a call to `actuator`: its secrets and those of the step's earlier
   * calls (a repeat or a retry may go out with a changed actuator while the first call's result is
   * still to come). Unchanged when this replica cannot open the actuator: the call fails the same way.
   * A stored copy it cannot open (sealed with another SECRETS_KEY, which replicas must not have)
   * is replaced by this call's alone.
   */
  sealFor(actuator: ActuatorRow, stored: string | null): string | null {
    let current: string[];
    try {
      current = openActuator(actuator, this.box).secrets;
    } catch {
      return stored;
    }
    return this.box.seal(JSON.stringify([...new Set([...this.of(stored), ...current])]));
  }

  /** The secrets sealed on a step; none when nothing was stored or this replica cannot open it. */
  of(stored: string | null): string[] {
    if (stored === null) return [];
    try {
      const secrets: unknown = JSON.parse(this.box.open(stored));
      return Array.isArray(secrets) ? secrets.filter((s): s is string => typeof s === 'string') : [];
    } catch {
      return [];
    }
  }
}
