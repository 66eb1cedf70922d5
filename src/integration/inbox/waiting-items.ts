import { Injectable } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { isUUID } from 'class-validator';
import { ListDraftPolicies } from '../../governance/policies/list-draft-policies/list-draft-policies.query.js';
import { GetIncidentStates } from '../../incidents/get-incident-states/get-incident-states.query.js';
import { ListArmedEscalations } from '../../intake/signals/list-armed-escalations/list-armed-escalations.query.js';
import { inOneSnapshot } from '../../platform/database/one-snapshot.js';
import { TransactionHost } from '../../platform/database/transaction-host.js';
import { ListWaitingWork } from '../../self-healing/waiting/list-waiting-work/list-waiting-work.query.js';
import {
  WAITING_WORK_KINDS,
  type WaitingPosition,
  type WaitingWorkKind,
} from '../../self-healing/waiting/waiting-work.view.js';
import { INBOX_KINDS, kindOfItemId, type InboxKind } from './inbox-item.view.js';
import {
  fromDraftPolicy,
  fromEscalation,
  fromWaitingWork,
  withIncidentPriority,
  type WaitingItem,
} from './inbox-items.js';

/** Each kind's newest this many are read (the inbox counts the rest without listing them); or a page of its longest waiting. */
export const LIMIT_PER_KIND = 500;

/** What waits, and how many more of each kind wait unlisted. */
export interface Waiting {
  items: WaitingItem[];
  unlisted: Record<InboxKind, number>;
}

/** Where each kind's next page of the longest waiting starts. */
export type WaitingPositions = Partial<Record<WaitingWorkKind, WaitingPosition>>;

/**
 * What waits for a person right now, asked of each pillar (nothing is copied, so an item leaves
 * the moment its cause stops waiting): self-healing's reviews, operator steps, holds and work
 * orders, governance's draft policies, intake's armed escalations. What waits only on incidents
 * that have since been resolved no longer waits (a step waiting for its operator still does: the
 * run waits until someone finishes or cancels it): the pillars stop selecting it once
 * `IncidentResolved` reached them (reviews and holds superseded, failed work orders and escalations
 * settled), so it is neither listed nor counted however much of it there is; `stillWaiting` drops
 * what is listed in the moment before that.
 */
@Injectable()
export class WaitingItems {
  constructor(
    private readonly queries: QueryBus,
    private readonly tx: TransactionHost,
  ) {}

  /**
   * Everything of `kinds` that waits, read in one snapshot (the queries below join its transaction):
   * one commit can move things between kinds (a review sweep expires plain reviews and held ones
   * at once), which reads on separate connections could show half of.
   */
  of(tenantId: string, kinds: readonly InboxKind[] = INBOX_KINDS): Promise<Waiting> {
    return inOneSnapshot(this.tx, () => this.read(tenantId, kinds));
  }

  /**
   * The item `itemId` if it waits, null if not, however much else of its kind waits (`of` lists
   * each kind's newest LIMIT_PER_KIND only: an older one is still there to assign or snooze).
   */
  async one(tenantId: string, itemId: string): Promise<WaitingItem | null> {
    const [item] = await this.among(tenantId, [itemId]);
    return item ?? null;
  }

  /**
   * Those of the items `itemIds` that wait, however much else of their kinds waits: each pillar is
   * asked for what waits about their subjects alone (one query per kind), in one snapshot with the
   * incidents they are about, and that is judged as `of` judges it. What a snooze past a kind's
   * newest hides (the summary), what a told review still is (review.waiting forgets the rest).
   */
  among(tenantId: string, itemIds: readonly string[]): Promise<WaitingItem[]> {
    const subjects = new Map<InboxKind, Set<string>>();
    for (const itemId of itemIds) {
      const kind = kindOfItemId(itemId);
      // `<kind>:<subject id>` (`operator_step:<run id>:<step id>`): every subject is a row's uuid.
      const subjectId = itemId.split(':')[1];
      if (kind && isUUID(subjectId)) subjects.set(kind, (subjects.get(kind) ?? new Set()).add(subjectId));
    }
    if (subjects.size === 0) return Promise.resolve([]);
    const wanted = new Set(itemIds);
    return inOneSnapshot(this.tx, async () => {
      const about = await Promise.all([...subjects].map(([kind, ids]) => this.about(tenantId, kind, [...ids])));
      return this.stillWaiting(
        tenantId,
        about.flat().filter((i) => wanted.has(i.id)),
      );
    });
  }

  /** What of `kind` waits about the subjects `subjectIds` (the steps of a run waiting for a person: several). */
  private async about(tenantId: string, kind: InboxKind, subjectIds: string[]): Promise<WaitingItem[]> {
    const limit = LIMIT_PER_KIND;
    if (kind === 'draft_policy')
      return (await this.queries.execute(new ListDraftPolicies({ tenantId, limit, ids: subjectIds }))).items.map(
        fromDraftPolicy,
      );
    if (kind === 'escalation')
      return (await this.queries.execute(new ListArmedEscalations({ tenantId, limit, ids: subjectIds }))).items.map(
        fromEscalation,
      );
    const page = await this.queries.execute(
      new ListWaitingWork({ tenantId, kinds: [kind], limitPerKind: limit, subjectIds }),
    );
    return page.items.map(fromWaitingWork);
  }

  private async read(tenantId: string, kinds: readonly InboxKind[]): Promise<Waiting> {
    const wanted = new Set<InboxKind>(kinds);
    const work = WAITING_WORK_KINDS.filter((k: WaitingWorkKind) => wanted.has(k));
    const limit = LIMIT_PER_KIND;
    const [selfHealing, drafts, escalations] = await Promise.all([
      work.length > 0
        ? this.queries.execute(new ListWaitingWork({ tenantId, kinds: work, limitPerKind: limit }))
        : null,
      wanted.has('draft_policy') ? this.queries.execute(new ListDraftPolicies({ tenantId, limit })) : null,
      wanted.has('escalation') ? this.queries.execute(new ListArmedEscalations({ tenantId, limit })) : null,
    ]);
    const listed = [
      ...(selfHealing?.items.map(fromWaitingWork) ?? []),
      ...(drafts?.items.map(fromDraftPolicy) ?? []),
      ...(escalations?.items.map(fromEscalation) ?? []),
    ];
    const totals: Partial<Record<InboxKind, number>> = {
      ...selfHealing?.totals,
      draft_policy: drafts?.total,
      escalation: escalations?.total,
    };
    const unlisted = Object.fromEntries(INBOX_KINDS.map((k) => [k, 0])) as Record<InboxKind, number>;
    for (const kind of kinds)
      unlisted[kind] = Math.max(0, (totals[kind] ?? 0) - listed.filter((i) => i.kind === kind).length);
    return { items: await this.stillWaiting(tenantId, listed), unlisted };
  }

  /**
   * What of self-healing's `kinds` has waited at least `waitedAtLeastMs`, the longest waiting
   * first: each kind's next LIMIT_PER_KIND from after its position in `after` (where the last page
   * ended). `next`: the positions the next page starts from; a kind whose page reached the newest
   * has none, and starts again from the longest waiting. Paging so, a reader reaches everything
   * that waits long enough however much waits (review.waiting's sweep), where `of` would list
   * the newest every time.
   */
  async longestWaiting(
    tenantId: string,
    kinds: readonly WaitingWorkKind[],
    waitedAtLeastMs: number,
    after: WaitingPositions = {},
  ): Promise<{ items: WaitingItem[]; next: WaitingPositions }> {
    const page = await this.queries.execute(
      new ListWaitingWork({ tenantId, kinds, limitPerKind: LIMIT_PER_KIND, longest: { waitedAtLeastMs, after } }),
    );
    const next: WaitingPositions = {};
    for (const kind of kinds) {
      const ofKind = page.items.filter((w) => w.kind === kind);
      const last = ofKind.at(-1);
      // Positioned on what was listed before dropping what waits only on resolved incidents: a page of those moves on too.
      if (last && (page.totals[kind] ?? 0) > ofKind.length)
        next[kind] = { since: last.since, subjectId: last.subject.id, stepId: last.stepId };
    }
    return { items: await this.stillWaiting(tenantId, page.items.map(fromWaitingWork)), next };
  }

  /**
   * Drops what waits only on incidents resolved since (a step waiting for its operator still waits):
   * what is listed between a resolution's commit and its pillars' handling of `IncidentResolved`
   * (the pillars' counts, of the unlisted too, leave it out once handled). And gives a review or a
   * held recovery the highest severity of its open incidents as its priority: self-healing keeps
   * none of its own for them.
   */
  private async stillWaiting(tenantId: string, listed: WaitingItem[]): Promise<WaitingItem[]> {
    const about = [...new Set(listed.filter((i) => i.kind !== 'operator_step').flatMap((i) => i.incidentIds))];
    const states =
      about.length > 0 ? await this.queries.execute(new GetIncidentStates({ tenantId, incidentIds: about })) : [];
    const open = new Map(states.filter((s) => s.status !== 'resolved').map((s) => [s.id, s.severity]));
    const resolved = new Set(states.filter((s) => s.status === 'resolved').map((s) => s.id));
    const waits = (i: WaitingItem) =>
      i.kind === 'operator_step' || i.incidentIds.length === 0 || !i.incidentIds.every((id) => resolved.has(id));
    return listed.filter(waits).map((i) => withIncidentPriority(i, open));
  }
}
