import { useState } from 'react';
import { Link } from 'wouter';
import { api, qs, type InboxItem, type InboxPage } from '../api/client';
import { Show, useAction, useApi, useLiveReload } from '../components/data';
import { FilterSelect, FilterText, useUrlFilters } from '../components/filters';
import { Badge, Time } from '../components/format';

const KINDS = ['operator_step', 'guardrail_hold', 'review', 'escalation', 'work_order', 'draft_policy'];
/** The `snoozed` filter: left out (the API's default), listed too, or only them. */
const SNOOZED: Array<[string, string]> = [
  ['', 'hidden'],
  ['include', 'listed too'],
  ['only', 'only snoozed'],
];
const SNOOZE_FOR: Array<[string, number]> = [
  ['1 hour', 3_600_000],
  ['4 hours', 4 * 3_600_000],
  ['1 day', 24 * 3_600_000],
  ['1 week', 7 * 24 * 3_600_000],
];

/** Item links are console paths (`/console/runs/…`); the router's base is /console already. */
const inConsole = (link: string) => link.replace(/^\/console(?=\/)/, '');

/**
 * Everything that waits for a person, across modules: the most urgent first, then the longest
 * waiting. Live: the list reads again when the tenant's stream says the inbox changed.
 */
export function Inbox({ canOperate }: { canOperate: boolean }) {
  const { values: f, set } = useUrlFilters(['kind', 'assignee', 'snoozed'] as const);
  const [cursor, setCursor] = useState<string | null>(null);
  const page = useApi<InboxPage>(
    `/inbox${qs({ kind: f.kind, assignee: f.assignee, snoozed: f.snoozed, cursor, limit: 50 })}`,
  );
  useLiveReload(page.reload, ['inbox_changed'], { ms: 1000 });
  return (
    <section>
      <h1>Inbox</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="filters">
        <FilterSelect label="Kind" value={f.kind} options={KINDS} onChange={(v) => (setCursor(null), set('kind', v))} />
        <FilterText
          label="Assignee"
          value={f.assignee}
          placeholder="none = unassigned"
          onChange={(v) => (setCursor(null), set('assignee', v))}
        />
        <label className="filter">
          Snoozed
          <select value={f.snoozed} onChange={(e) => (setCursor(null), set('snoozed', e.target.value))}>
            {SNOOZED.map(([value, name]) => (
              <option key={name} value={value}>
                {name}
              </option>
            ))}
          </select>
        </label>
      </form>
      <Show r={page} empty={(d) => d.items.length === 0 && cursor === null}>
        {(d) => (
          <>
            <ul className="plain inbox">
              {d.items.map((item) => (
                <Item key={item.id} item={item} canOperate={canOperate} onChanged={page.reload} />
              ))}
            </ul>
            <p className="inline">
              {cursor !== null && <button onClick={() => setCursor(null)}>First page</button>}
              {d.nextCursor && <button onClick={() => setCursor(d.nextCursor)}>Next page</button>}
            </p>
          </>
        )}
      </Show>
    </section>
  );
}

function Item({ item, canOperate, onChanged }: { item: InboxItem; canOperate: boolean; onChanged: () => void }) {
  const [assignee, setAssignee] = useState(item.assignee ?? '');
  const [snoozeFor, setSnoozeFor] = useState(SNOOZE_FOR[0][0]);
  const { busy, run, note } = useAction();
  const post = (what: 'assign' | 'snooze', body: unknown) =>
    run(async () => {
      await api(`/inbox/${encodeURIComponent(item.id)}/${what}`, {
        method: 'POST',
        body,
      });
      onChanged();
    });
  return (
    <li className="card inbox-item" data-item={item.id}>
      <div>
        <Badge value={item.priority} /> <Badge value={item.kind} />{' '}
        <Link href={inConsole(item.link)}>{item.title}</Link>
      </div>
      <div className="small muted">
        waiting since <Time at={item.createdAt} />
        {item.deadline && (
          <>
            {' '}
            · until <Time at={item.deadline} />
          </>
        )}
        {item.assignee && <> · assigned to {item.assignee}</>}
        {item.snoozedUntil && (
          <>
            {' '}
            · snoozed until <Time at={item.snoozedUntil} />
          </>
        )}
      </div>
      {canOperate && (
        <form className="inline" onSubmit={(e) => e.preventDefault()} aria-label={`act on ${item.title}`}>
          <label>
            Assignee
            <input value={assignee} onChange={(e) => setAssignee(e.target.value)} />
          </label>
          <button disabled={busy} onClick={() => post('assign', { assignee: assignee.trim() || null })}>
            Assign
          </button>
          <label>
            Snooze for
            <select value={snoozeFor} onChange={(e) => setSnoozeFor(e.target.value)}>
              {SNOOZE_FOR.map(([name]) => (
                <option key={name}>{name}</option>
              ))}
            </select>
          </label>
          <button
            disabled={busy}
            onClick={() => {
              const ms = SNOOZE_FOR.find(([name]) => name === snoozeFor)![1];
              void post('snooze', {
                until: new Date(Date.now() + ms).toISOString(),
              });
            }}
          >
            Snooze
          </button>
          {item.snoozedUntil && (
            <button disabled={busy} onClick={() => post('snooze', { until: null })}>
              Wake
            </button>
          )}
        </form>
      )}
      {note}
    </li>
  );
}
