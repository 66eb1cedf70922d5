import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A resolved alert with no unresolved incident resolves nothing; with the tenant's late-copy check
 * on, the intake now remembers it for a while: behind an HA Alertmanager pair the resolution of an
 * episode can arrive before its firing, and that firing must then open no incident that monitoring
 * will never resolve. One row per tenant, fingerprint and episode (`starts_at`, `ends_at`: the alert's
 * own times, monitoring's clock), so a second delivery of the same resolution adds nothing.
 * `received_at` (database clock) bounds how long a row counts and when `UnmatchedResolutionsPruner`
 * deletes it.
 */
export class UnmatchedAlertResolutions1767401240000 implements MigrationInterface {
  name = 'UnmatchedAlertResolutions1767401240000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE unmatched_alert_resolutions (
        tenant_id text NOT NULL,
        fingerprint text NOT NULL,
        starts_at timestamptz(3) NOT NULL,
        ends_at timestamptz(3) NOT NULL,
        received_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, fingerprint, starts_at, ends_at)
      )`);
    await q.query(`CREATE INDEX idx_unmatched_alert_resolutions_received ON unmatched_alert_resolutions (received_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE unmatched_alert_resolutions`);
  }
}
