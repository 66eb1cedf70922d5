import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Pattern merges (issue 16). When the matcher learns that a position is a parameter, patterns
 * that were variants of one template merge into the oldest: the others stay as rows that name
 * it (`merged_into_id`, out of every bucket), so an old id still resolves, and each merge is a
 * row of the surviving pattern's history.
 * The bucket key (`shape_key`) becomes the token count alone (it was `count:first significant
 * word`), so stored patterns stay in the buckets new incidents look in.
 */
const GENERIC_WORDS = `'a','an','the','to','of','for','in','on','at','by','with','from','and','or','is','was','be','been','has','had','have','not','no','could','cannot','unable','while','during','error','err','failed','failure','fail','exception','fatal','warning'`;
export class PatternHistory1765600000000 implements MigrationInterface {
  name = 'PatternHistory1765600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE failure_patterns ADD COLUMN merged_into_id uuid`);
    await q.query(`
      CREATE TABLE failure_pattern_history (
        id uuid PRIMARY KEY,
        tenant_id text NOT NULL,
        pattern_id uuid NOT NULL,
        event text NOT NULL,
        merged_pattern_id uuid,
        template_before text NOT NULL,
        template_after text NOT NULL,
        occurrences_moved integer NOT NULL DEFAULT 0,
        incident_id uuid,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX idx_pattern_history_pattern ON failure_pattern_history (tenant_id, pattern_id, created_at)`,
    );
    await q.query(`UPDATE failure_patterns SET shape_key = cardinality(template_tokens)::text`);
  }

  async down(q: QueryRunner): Promise<void> {
    // The former key: the count, and the first plain word that is not generic (else the first plain word, else '-').
    await q.query(`
      UPDATE failure_patterns p SET shape_key = cardinality(p.template_tokens)::text || ':' || coalesce(
        (SELECT lower(t) FROM unnest(p.template_tokens) WITH ORDINALITY AS u(t, i)
          WHERE t ~ '^[A-Za-z]+(?:[-_''.][A-Za-z]+)*$' AND lower(t) NOT IN (${GENERIC_WORDS}) ORDER BY i LIMIT 1),
        (SELECT lower(t) FROM unnest(p.template_tokens) WITH ORDINALITY AS u(t, i)
          WHERE t ~ '^[A-Za-z]+(?:[-_''.][A-Za-z]+)*$' ORDER BY i LIMIT 1),
        '-')`);
    await q.query(`DROP TABLE failure_pattern_history`);
    await q.query(`ALTER TABLE failure_patterns DROP COLUMN merged_into_id`);
  }
}
