import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A tenant's named HTTP endpoints that recovery runs call; the signing secret is stored sealed (AES-256-GCM). */
export class Actuators1765200000000 implements MigrationInterface {
  name = 'Actuators1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE actuators (
        tenant_id text NOT NULL,
        name text NOT NULL,
        url text NOT NULL,
        headers jsonb NOT NULL DEFAULT '{}',
        timeout_ms integer NOT NULL,
        secret_sealed text NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, name)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE actuators`);
  }
}
