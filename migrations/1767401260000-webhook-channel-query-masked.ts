import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A webhook channel's shown URL with the value of each query parameter masked (`?token=…`), as
 * PUT now stores it (maskedQueryUrl): a query may hold a credential, shown on every read before.
 * The URL the service sends to is the sealed one, unchanged. Down leaves the masks: what they
 * hid is only in the sealed URL, which SQL cannot open (PUT the channel again to show it whole).
 */
export class WebhookChannelQueryMasked1767401260000 implements MigrationInterface {
  name = 'WebhookChannelQueryMasked1767401260000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      UPDATE notification_channels c
         SET url_shown = left(url_shown, strpos(url_shown, '?')) || (
               -- An empty query (a URL ending in '?') has no pairs: string_agg's NULL becomes ''.
               SELECT coalesce(string_agg(CASE WHEN pair = '' THEN ''
                                      WHEN strpos(pair, '=') > 0 THEN split_part(pair, '=', 1) || '=…'
                                      ELSE '=…' END, '&' ORDER BY n), '')
                 FROM unnest(string_to_array(substr(url_shown, strpos(url_shown, '?') + 1), '&'))
                      WITH ORDINALITY AS q(pair, n))
       WHERE type = 'webhook' AND strpos(url_shown, '?') > 0`);
  }

  async down(): Promise<void> {
    // Nothing to undo in the schema; the masked values cannot be read back in SQL (see above).
  }
}
