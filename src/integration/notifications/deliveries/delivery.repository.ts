import { Injectable } from '@nestjs/common';
import { newestFirst, type Condition } from '../../../platform/database/newest-first.js';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import type { Cursor } from '../../../platform/http/cursor.js';
import type { ChannelRow } from '../channels/channel.view.js';
import type { Notice } from '../notice.js';
import type { DeliveryRow, DeliveryStatus } from './delivery.view.js';

export interface NewDelivery {
  id: string;
  tenantId: string;
  channel: string;
  rule: string | null;
  notice: Notice;
  status: Extract<DeliveryStatus, 'pending' | 'held' | 'suppressed'>;
  availableAt: Date | null;
  note: string | null;
}

/** A claimed delivery, with its claim's token and what sending it needs from its channel. */
export type ClaimedDelivery = DeliveryRow & { claim_token: string } & Pick<ChannelRow, SendingColumns>;
type SendingColumns = 'type' | 'url_sealed' | 'secret_sealed' | 'timeout_ms';

export interface DeliveryListFilter {
  status?: DeliveryStatus;
  channel?: string;
  rule?: string;
  event?: string;
}

/**
 * The head of channel `c`'s line: of its deliveries not yet sent (pending, held, sending), the first
 * by its place in line (`queued_at`, then id: uuidv7, in the order made), with when it is due. A
 * channel sends in that order, its head first: a message waiting for its retry holds back the
 * messages queued after it (the channel's last word must be the latest news, ADR 0017). A message
 * takes its place when it is queued, or, held by quiet hours (a rule's, not the channel's), when its
 * hold ends: until then every message in line is ahead of it, so it holds nothing back, and when
 * its hold ends it goes behind what was queued before that moment. A retry keeps the place; a dead
 * letter leaves the line (retried by hand, it is queued again at the end). `queued_at` is null on
 * rows written by a build before it (a replica not yet upgraded during a rolling deploy): their
 * `available_at` then, when queued or the hold's end, until a claim stores it. Found through
 * idx_notification_deliveries_line, one row per channel.
 */
const HEAD_OF_LINE = `SELECT d.id, d.available_at FROM notification_deliveries d
                       WHERE d.tenant_id = c.tenant_id AND d.channel = c.name
                         AND d.status IN ('pending', 'held', 'sending')
                       ORDER BY coalesce(d.queued_at, d.available_at), d.id LIMIT 1`;

/** The SQL of deliveries and repeats, in one place. */
@Injectable()
export class DeliveryRepository {
  constructor(private readonly tx: TransactionHost) {}

  async insert(d: NewDelivery): Promise<DeliveryRow> {
    const [row] = await this.tx.query<DeliveryRow>(
      `INSERT INTO notification_deliveries
         (id, tenant_id, channel, rule, event, subject_key, severity, notice, status, available_at, queued_at, last_error)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, coalesce($10, now()), coalesce($10, now()), $11) RETURNING *`,
      [
        d.id,
        d.tenantId,
        d.channel,
        d.rule,
        d.notice.event,
        d.notice.subjectKey,
        d.notice.severity,
        JSON.stringify(d.notice),
        d.status,
        d.availableAt,
        d.note,
      ],
    );
    return row;
  }

  async find(tenantId: string, id: string): Promise<DeliveryRow | null> {
    const [row] = await this.tx.query<DeliveryRow>(
      `SELECT * FROM notification_deliveries WHERE tenant_id = $1 AND id = $2`,
      [tenantId, id],
    );
    return row ?? null;
  }

  list(tenantId: string, f: DeliveryListFilter, cursor: Cursor | null, limit: number): Promise<DeliveryRow[]> {
    const conditions: Condition[] = [
      ['status = ?', f.status],
      ['channel = ?', f.channel],
      ['rule = ?', f.rule],
      ['event = ?', f.event],
    ];
    const { sql, params } = newestFirst({ table: 'notification_deliveries', tenantId, conditions, cursor, limit });
    return this.tx.query<DeliveryRow>(sql, params);
  }

  /**
   * The repeat gate: true when `subjectKey` has had no message from `rule` within `intervalMs`,
   * and then marks one now (the statement's moment, not its transaction's: a sweep tells what it
   * read, and forgetRepeats compares the mark with when another sweep read). The interval is
   * measured to the statement's moment too: against the transaction's start, a mark set earlier in
   * the same transaction (two events of one relay batch) or committed by one that began later
   * would fall within even an interval of 0 ("every time"). Concurrent callers for one subject
   * queue on its row, so within an interval exactly one of them passes.
   */
  async passesRepeatGate(tenantId: string, rule: string, subjectKey: string, intervalMs: number): Promise<boolean> {
    const rows = await this.tx.query(
      `INSERT INTO notification_repeats (tenant_id, rule, subject_key, last_at) VALUES ($1, $2, $3, clock_timestamp())
       ON CONFLICT (tenant_id, rule, subject_key) DO UPDATE SET last_at = clock_timestamp()
        WHERE notification_repeats.last_at <= clock_timestamp() - make_interval(secs => $4::double precision / 1000)
       RETURNING 1`,
      [tenantId, rule, subjectKey, intervalMs],
    );
    return rows.length > 0;
  }

  /** What the tenant's repeat marks of `event` are about: their subject keys (repeatKey less the event), each once. */
  async repeatSubjects(tenantId: string, event: string): Promise<string[]> {
    const rows = await this.tx.query<{ subject: string }>(
      `SELECT DISTINCT substr(subject_key, length($2) + 2) AS subject FROM notification_repeats
        WHERE tenant_id = $1 AND starts_with(subject_key, $2 || ' ')`,
      [tenantId, event],
    );
    return rows.map((r) => r.subject);
  }

  /**
   * Forgets `event`'s repeat marks of the tenant about `subjects` (subject keys without the event)
   * that were set more than `sinceLookedMs` ago, before the caller looked at what waits: what no
   * longer waits is news again when it waits again. A mark set since may be another replica's, for
   * something that began to wait after the caller looked.
   */
  async forgetRepeats(tenantId: string, event: string, subjects: string[], sinceLookedMs: number): Promise<void> {
    if (subjects.length === 0) return;
    await this.tx.query(
      `DELETE FROM notification_repeats WHERE tenant_id = $1
          AND subject_key = ANY (SELECT $2 || ' ' || s FROM unnest($3::text[]) s)
          AND last_at < now() - make_interval(secs => $4::double precision / 1000)`,
      [tenantId, event, subjects, sinceLookedMs],
    );
  }

  /**
   * Claims the next due delivery of up to `limit` channels, one per channel, and at most `room` of
   * a tenant's channels (less what `held` says it holds already: tenant ids and counts), earliest
   * first; leases the channel and the delivery for the channel's timeout plus `marginMs`: a channel
   * sends one message at a time across replicas, and at its pace (`next_send_at`). A channel's next
   * delivery is the head of its line (HEAD_OF_LINE), and a channel whose head is not due (waiting
   * for its retry) sends nothing: the messages queued after it wait. Commits at once; the call is
   * made outside any transaction. A delivery whose worker died is due again when its lease runs out.
   */
  claim(limit: number, marginMs: number, room: number, held: Map<string, number>): Promise<ClaimedDelivery[]> {
    return this.tx.queryOutside<ClaimedDelivery>(
      `WITH due AS (
         SELECT c.tenant_id, c.name, head.id,
                row_number() OVER (PARTITION BY c.tenant_id ORDER BY c.next_send_at, c.name) AS nth
           FROM notification_channels c
          CROSS JOIN LATERAL (${HEAD_OF_LINE}) head
          WHERE c.next_send_at <= now() AND head.available_at <= now()),
       ready AS (
         SELECT c.tenant_id, c.name, due.id FROM notification_channels c JOIN due USING (tenant_id, name)
          -- Checked again on the row as locked: another replica's claim that committed since this
          -- statement began has leased the channel, and it must not send a second message at once.
          WHERE c.next_send_at <= now()
            AND due.nth <= $3 - coalesce((SELECT h.n FROM unnest($4::text[], $5::int[]) h(tenant_id, n)
                                          WHERE h.tenant_id = c.tenant_id), 0)
          ORDER BY c.next_send_at LIMIT $1 FOR UPDATE OF c SKIP LOCKED),
       picked AS (
         -- The head itself or nothing: one locked (a change of its rule deciding about it) is not
         -- passed by the message behind it; the channel waits for the next claim.
         SELECT d.id, ready.tenant_id, ready.name FROM ready JOIN notification_deliveries d ON d.id = ready.id
          WHERE d.status IN ('pending', 'held', 'sending') AND d.available_at <= now()
            FOR UPDATE OF d SKIP LOCKED),
       leased AS (
         UPDATE notification_channels c
            SET next_send_at = now() + make_interval(secs => (c.timeout_ms + $2)::double precision / 1000)
           FROM picked WHERE c.tenant_id = picked.tenant_id AND c.name = picked.name)
       UPDATE notification_deliveries d
          SET status = 'sending', attempts = d.attempts + 1, claim_token = gen_random_uuid(), updated_at = now(),
              -- Its place in line, kept from here on: the lease below moves available_at.
              queued_at = coalesce(d.queued_at, d.available_at),
              available_at = now() + make_interval(secs => (c.timeout_ms + $2)::double precision / 1000)
         FROM picked, notification_channels c
        WHERE d.id = picked.id AND c.tenant_id = d.tenant_id AND c.name = d.channel
    RETURNING d.*, c.type, c.url_sealed, c.secret_sealed, c.timeout_ms`,
      [limit, marginMs, room, [...held.keys()], [...held.values()]],
    );
  }

  /**
   * Stores how an attempt went, if the claim that made it still holds (its `claimToken` is still
   * the delivery's: no other worker took it over, and it was not dead-lettered and retried), and
   * paces the channel: its next message goes no sooner than `channelPauseMs` from now. A delivery
   * dead-lettered with its channel or rule during the call (abandonChannel, abandonRule) keeps the channel's answer:
   * `sent` when it took the message, else still dead, the failure added to why; the channel, gone
   * or another of its name, is left alone. The status stored; null when the claim had lapsed: then
   * nothing changes.
   */
  async settle(
    d: { id: string; tenantId: string; channel: string; claimToken: string },
    outcome: {
      status: 'sent' | 'pending' | 'dead';
      retryInMs: number;
      error: string | null;
      httpStatus: number | null;
    },
    channelPauseMs: number,
  ): Promise<DeliveryStatus | null> {
    const [held] = await this.tx.query<{ status: DeliveryStatus }>(
      `SELECT status FROM notification_deliveries
        WHERE id = $1 AND claim_token = $2 AND status IN ('sending', 'dead') FOR UPDATE`,
      [d.id, d.claimToken],
    );
    // A lapsed claim leaves the channel alone: its next_send_at is the new holder's lease now.
    if (!held) return null;
    const abandoned = held.status === 'dead';
    const status = abandoned && outcome.status !== 'sent' ? 'dead' : outcome.status;
    await this.tx.query(
      `UPDATE notification_deliveries
          SET status = $2, last_status = $4, updated_at = now(),
              last_error = CASE WHEN $5 AND $3::text IS NOT NULL THEN last_error || '; the call out then: ' || $3
                                ELSE $3 END,
              sent_at = CASE WHEN $2 = 'sent' THEN now() END,
              available_at = now() + make_interval(secs => $6::double precision / 1000)
        WHERE id = $1`,
      [d.id, status, outcome.error, outcome.httpStatus, abandoned, outcome.retryInMs],
    );
    if (!abandoned)
      await this.tx.query(
        `UPDATE notification_channels SET next_send_at = now() + make_interval(secs => $3::double precision / 1000)
          WHERE tenant_id = $1 AND name = $2`,
        [d.tenantId, d.channel, channelPauseMs],
      );
    return status;
  }

  /**
   * Gives back deliveries claimed by a dispatcher that stopped before calling their channels:
   * pending and due again, the claim's attempt not counted, and their channels free at once
   * (rather than leased until their timeout and the margin pass). Only claims that still hold
   * (their token is the delivery's, their lease has not run out): one that lapsed may be another
   * worker's now, and so may its channel.
   */
  async release(claims: Array<Pick<ClaimedDelivery, 'id' | 'claim_token'>>): Promise<void> {
    if (claims.length === 0) return;
    await this.tx.queryOutside(
      `WITH given AS (
         UPDATE notification_deliveries d
            SET status = 'pending', attempts = greatest(d.attempts - 1, 0), claim_token = NULL,
                available_at = now(), updated_at = now()
           FROM unnest($1::uuid[], $2::uuid[]) AS c(id, claim_token)
          WHERE d.id = c.id AND d.status = 'sending' AND d.claim_token = c.claim_token AND d.available_at > now()
         RETURNING d.tenant_id, d.channel)
       UPDATE notification_channels c SET next_send_at = now()
         FROM given WHERE c.tenant_id = given.tenant_id AND c.name = given.channel`,
      [claims.map((c) => c.id), claims.map((c) => c.claim_token)],
    );
  }

  /**
   * A dead delivery back in the queue with fresh attempts, at the end of its channel's line (queued
   * again now: while dead it held nothing back, and what was queued after it may have gone); null
   * when it is not dead.
   */
  async requeueDead(tenantId: string, id: string): Promise<DeliveryRow | null> {
    const [row] = await this.tx.query<DeliveryRow>(
      `UPDATE notification_deliveries
          SET status = 'pending', attempts = 0, available_at = now(), queued_at = now(), updated_at = now()
        WHERE tenant_id = $1 AND id = $2 AND status = 'dead' RETURNING *`,
      [tenantId, id],
    );
    return row ?? null;
  }

  /**
   * The channel's deliveries not yet sent become dead, with `error`. One being sent (a call out
   * now) too: nothing sends it again, and its worker still records the channel's answer (settle).
   */
  abandonChannel(tenantId: string, channel: string, error: string): Promise<void> {
    return this.deadLetterUnsent(tenantId, 'channel = $2', channel, error);
  }

  /** The rule's deliveries not yet sent become dead, with `error`, one being sent too (as abandonChannel). */
  abandonRule(tenantId: string, rule: string, error: string): Promise<void> {
    return this.deadLetterUnsent(tenantId, 'rule = $2', rule, error);
  }

  /** The rule's deliveries not yet sent (pending, held, sending), locked to the caller's transaction's end (claims skip them). */
  queuedOf(tenantId: string, rule: string): Promise<DeliveryRow[]> {
    return this.tx.query<DeliveryRow>(
      `SELECT * FROM notification_deliveries WHERE tenant_id = $1 AND rule = $2 AND status IN ('pending', 'held', 'sending')
        ORDER BY available_at, id FOR UPDATE`,
      [tenantId, rule],
    );
  }

  /** These of the tenant's deliveries, those not yet sent, become dead, with `error` (as abandonChannel). */
  async abandon(tenantId: string, ids: string[], error: string): Promise<void> {
    if (ids.length > 0) await this.deadLetterUnsent(tenantId, 'id = ANY ($2::uuid[])', ids, error);
  }

  /** The tenant's deliveries not yet sent (pending, held, sending) that `where` ($2: `value`) picks become dead, with `error`. */
  private async deadLetterUnsent(tenantId: string, where: string, value: unknown, error: string): Promise<void> {
    await this.tx.query(
      `UPDATE notification_deliveries SET status = 'dead', last_error = $3, updated_at = now()
        WHERE tenant_id = $1 AND ${where} AND status IN ('pending', 'held', 'sending')`,
      [tenantId, value, error],
    );
  }

  /**
   * These of the tenant's held deliveries are held until `until`, joining their channel's line
   * then; with null, pending and due now, at the end of the line.
   */
  async holdUntil(tenantId: string, ids: string[], until: Date | null): Promise<void> {
    if (ids.length === 0) return;
    await this.tx.query(
      `UPDATE notification_deliveries
          SET status = CASE WHEN $3::timestamptz IS NULL THEN 'pending' ELSE 'held' END,
              available_at = coalesce($3::timestamptz, now()), queued_at = coalesce($3::timestamptz, now()),
              updated_at = now()
        WHERE tenant_id = $1 AND id = ANY ($2::uuid[]) AND status = 'held'`,
      [tenantId, ids, until],
    );
  }

  /**
   * Milliseconds until a delivery of a tenant not in `exceptTenants` (those at their cap here) may
   * become claimable: the earliest, over the channels, of when the head of a channel's line is due
   * (its own time, or the channel's pace), as the claim judges it; null when none waits. A message
   * behind a head waiting for its retry is not counted, however long it has been due: only the
   * head's retry lets it go.
   */
  async msUntilNextDue(exceptTenants: string[]): Promise<number | null> {
    const [row] = await this.tx.queryOutside<{ ms: number | null }>(
      `SELECT (extract(epoch FROM min(greatest(head.available_at, c.next_send_at)) - now()) * 1000)::float8 AS ms
         FROM notification_channels c CROSS JOIN LATERAL (${HEAD_OF_LINE}) head
        WHERE c.tenant_id <> ALL ($1::text[])`,
      [exceptTenants],
    );
    return row.ms === null ? null : Math.max(0, row.ms);
  }

  /**
   * Deletes up to `batch` finished deliveries (sent, dead, suppressed) last changed more than
   * `retentionDays` ago, found through idx_notification_deliveries_finished and locked (skipping
   * any another replica's prune holds), then deleted by row address; how many. The lock checks
   * status and age again on the row's latest version: a dead delivery retried meanwhile stays.
   */
  async pruneDeliveries(retentionDays: number, batch = 5000): Promise<number> {
    const deleted = await this.tx.queryOutside(
      `DELETE FROM notification_deliveries WHERE ctid = ANY (ARRAY(
         SELECT ctid FROM notification_deliveries
          WHERE status IN ('sent', 'dead', 'suppressed') AND updated_at < now() - make_interval(days => $1)
          LIMIT $2 FOR UPDATE SKIP LOCKED))
       RETURNING 1`,
      [retentionDays, batch],
    );
    return deleted.length;
  }

  /**
   * Deletes up to `batch` repeat marks older than their rule's interval and a month, found through
   * idx_notification_repeats_last_at and locked as above; how many. A mark set again meanwhile stays.
   * Not review.waiting's marks of a rule with interval 0 that still takes it: each says a review was
   * told, once while it waits however long that is (a pattern's review group can wait for months);
   * the sweep forgets it when the review stops waiting (forgetRepeats). A rule that no longer takes
   * review.waiting is not swept for, so its old marks are pruned as any.
   */
  async pruneRepeats(batch = 5000): Promise<number> {
    const deleted = await this.tx.queryOutside(
      `DELETE FROM notification_repeats WHERE ctid = ANY (ARRAY(
         SELECT r.ctid FROM notification_repeats r JOIN notification_rules u ON u.tenant_id = r.tenant_id AND u.name = r.rule
          WHERE r.last_at < now() - interval '30 days'
            AND r.last_at < now() - greatest(make_interval(secs => u.repeat_interval_ms / 1000.0), interval '30 days')
            AND NOT (u.repeat_interval_ms = 0 AND 'review.waiting' = ANY (u.events)
                     AND starts_with(r.subject_key, 'review.waiting '))
          LIMIT $1 FOR UPDATE OF r SKIP LOCKED))
       RETURNING 1`,
      [batch],
    );
    return deleted.length;
  }
}
