import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { SecretBox } from '../../../platform/crypto/secret-box.js';
import type { ActuatorRow } from '../../actuators/actuator.repository.js';
import { StepCallSecrets } from './step-call-secrets.js';

const box = new SecretBox(randomBytes(32));
const secrets = new StepCallSecrets(box);
const actuator = (header: string, signing: string, url = 'https://ops.example/run'): ActuatorRow => ({
  tenant_id: 't',
  name: 'ops',
  url,
  headers_sealed: { Authorization: box.seal(header) },
  timeout_ms: 1000,
  secret_sealed: box.seal(signing),
  created_at: new Date(),
  updated_at: new Date(),
});

describe('StepCallSecrets', () => {
  it("seals a call's secrets, keeping those of the step's earlier calls", () => {
    const first = secrets.sealFor(actuator('Bearer one', 'whsec_one', 'https://ops.example/run?token=q1'), null);
    expect(first).not.toContain('Bearer one');
    expect(secrets.of(first).sort()).toEqual(['Bearer one', 'q1', 'whsec_one']);
    const second = secrets.sealFor(actuator('Bearer two', 'whsec_one'), first);
    expect(secrets.of(second).sort()).toEqual(['Bearer one', 'Bearer two', 'q1', 'whsec_one']);
  });

  it('keeps what was stored when the actuator cannot be opened, and reads nothing from what it cannot open', () => {
    const stored = secrets.sealFor(actuator('Bearer one', 'whsec_one'), null);
    const otherKey = new SecretBox(randomBytes(32));
    const unopenable = { ...actuator('x', 'y'), secret_sealed: otherKey.seal('whsec_other') };
    expect(secrets.sealFor(unopenable, stored)).toBe(stored);
    expect(secrets.of(null)).toEqual([]);
    expect(secrets.of(otherKey.seal('["Bearer one"]'))).toEqual([]);
    expect(secrets.of(box.seal('not json'))).toEqual([]);
  });
});
