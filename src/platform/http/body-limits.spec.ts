import { describe, expect, it } from '@jest/globals';
import { BODY_LIMIT_BYTES, formatBodyLimit, intakeBodyLimit, isIntakeRoute } from './body-limits.js';
import { MAX_BODY_ENTRIES } from './input-guard.js';

describe('body limits', () => {
  it('gives the intake routes 4 KiB per item of a full batch, never less than every route', () => {
    expect(intakeBodyLimit(1000)).toBe(4000 * 1024);
    expect(intakeBodyLimit(MAX_BODY_ENTRIES)).toBeGreaterThan(BODY_LIMIT_BYTES);
    expect(intakeBodyLimit(10)).toBe(BODY_LIMIT_BYTES);
  });

  it('matches the intake routes as Express does: POST, any case, an optional trailing slash', () => {
    expect(isIntakeRoute({ method: 'POST', path: '/intake/alertmanager' })).toBe(true);
    expect(isIntakeRoute({ method: 'POST', path: '/INTAKE/Alertmanager/' })).toBe(true);
    expect(isIntakeRoute({ method: 'POST', path: '/signals/metrics' })).toBe(true);
    expect(isIntakeRoute({ method: 'PUT', path: '/signals/metrics' })).toBe(false);
    expect(isIntakeRoute({ method: 'POST', path: '/incidents' })).toBe(false);
    expect(isIntakeRoute({ method: 'POST', path: '/intake/alertmanager/x' })).toBe(false);
    expect(isIntakeRoute({ method: 'POST', path: '/signals/settings' })).toBe(false);
  });

  it('names a limit in MiB when whole, else in KiB', () => {
    expect(formatBodyLimit(256 * 1024)).toBe('256 KiB');
    expect(formatBodyLimit(4000 * 1024)).toBe('4000 KiB');
    expect(formatBodyLimit(2 * 1024 * 1024)).toBe('2 MiB');
  });
});
