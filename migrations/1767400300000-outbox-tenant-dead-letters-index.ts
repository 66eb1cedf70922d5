import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexConcurrently } from '../src/platform/database/create-index-concurrently.js';

/**
 * `GET /integration/outbox/deliveries?status=dead` lists a tenant's dead letters (and `held` its
 * held deliveries), newest first: those of every handler, with or without an incident, which the
 * (incident, handler) index of stuck deliveries cannot find. A partial index of the few dead and
 * held rows: a claim, a retry or a done mark writes no entry to it (status is indexed already).
 * Built without blocking the outbox's writes (createIndexConcurrently).
 */
export class OutboxTenantDeadLettersIndex1767400300000 implements MigrationInterface {
  name = 'OutboxTenantDeadLettersIndex1767400300000';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await createIndexConcurrently(
      q,
      'idx_outbox_tenant_stuck',
      `outbox_events (tenant_id, id) WHERE status IN ('dead', 'held')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX idx_outbox_tenant_stuck`);
  }
}
