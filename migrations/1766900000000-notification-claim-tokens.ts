import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A notification delivery's claim is told apart by a token drawn at each claim, not by its
 * attempt count: a retried dead letter starts its attempts again at 0, so a worker still holding
 * a call from before could match the new claim's count and store its answer over the new one.
 * Deliveries being sent when this runs have no token: their worker's answer is not stored, and
 * they are sent again when their lease lapses (with the same webhook-id).
 */
export class NotificationClaimTokens1766900000000 implements MigrationInterface {
  name = 'NotificationClaimTokens1766900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE notification_deliveries ADD COLUMN claim_token uuid`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE notification_deliveries DROP COLUMN claim_token`);
  }
}
