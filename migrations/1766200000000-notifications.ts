import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Notifications (DESIGN §12, issue 26): a tenant's channels (Slack incoming webhooks, signed
 * webhooks; URL and signing secret sealed), its rules, and one row per delivery: queued, held by
 * quiet hours, sent, dead-lettered or suppressed as a repeat. A channel's `next_send_at` is both
 * its sending lease (one message at a time per channel, across replicas) and its pace (Slack takes
 * about one message a second per channel; a 429's Retry-After pauses the channel). Repeats keep,
 * per rule and subject, when the last message went out.
 */
export class Notifications1766200000000 implements MigrationInterface {
  name = 'Notifications1766200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE notification_channels (
        tenant_id text NOT NULL,
        name text NOT NULL,
        type text NOT NULL CHECK (type IN ('slack', 'webhook')),
        url_sealed text NOT NULL,
        url_shown text NOT NULL,
        secret_sealed text,
        timeout_ms int NOT NULL,
        next_send_at timestamptz NOT NULL DEFAULT now(),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, name)
      )`);
    await q.query(`
      CREATE TABLE notification_rules (
        tenant_id text NOT NULL,
        name text NOT NULL,
        channel text NOT NULL,
        events text[] NOT NULL,
        min_severity text NOT NULL,
        agents text[],
        capabilities text[],
        quiet_hours jsonb,
        repeat_interval_ms bigint NOT NULL,
        after_ms bigint,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, name),
        FOREIGN KEY (tenant_id, channel) REFERENCES notification_channels (tenant_id, name)
      )`);
    await q.query(`CREATE INDEX idx_notification_rules_channel ON notification_rules (tenant_id, channel)`);
    await q.query(`
      CREATE TABLE notification_deliveries (
        id uuid PRIMARY KEY,
        tenant_id text NOT NULL,
        channel text NOT NULL,
        rule text,
        event text NOT NULL,
        subject_key text NOT NULL,
        severity text NOT NULL,
        notice jsonb NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'held', 'sending', 'sent', 'dead', 'suppressed')),
        attempts int NOT NULL DEFAULT 0,
        available_at timestamptz NOT NULL DEFAULT now(),
        last_error text,
        last_status int,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        sent_at timestamptz(3)
      )`);
    await q.query(
      `CREATE INDEX idx_notification_deliveries_list ON notification_deliveries (tenant_id, created_at DESC, id DESC)`,
    );
    await q.query(
      `CREATE INDEX idx_notification_deliveries_due ON notification_deliveries (tenant_id, channel, available_at, id)
        WHERE status IN ('pending', 'held', 'sending')`,
    );
    await q.query(`
      CREATE TABLE notification_repeats (
        tenant_id text NOT NULL,
        rule text NOT NULL,
        subject_key text NOT NULL,
        last_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, rule, subject_key),
        FOREIGN KEY (tenant_id, rule) REFERENCES notification_rules (tenant_id, name) ON DELETE CASCADE
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'notification_repeats',
      'notification_deliveries',
      'notification_rules',
      'notification_channels',
    ]) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
