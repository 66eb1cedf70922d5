import { useEffect, useState } from 'react';
import { Link, useLocation } from 'wouter';
import { api, qs, type Policy } from '../api/client';
import { Show, isNotFound, useAction, useApi } from '../components/data';
import { FilterSelect, useUrlFilters } from '../components/filters';
import { Badge, IdTag, Time } from '../components/format';
import { NotFound, isUuid } from '../components/not-found';
import { LoadMore, usePaged } from '../components/paged';

export function Policies({ isAdmin }: { isAdmin: boolean }) {
  const { values: f, set } = useUrlFilters(['status'] as const);
  const list = usePaged<Policy>(`/policies${qs({ status: f.status, limit: 100 })}`);
  return (
    <section>
      <h1>Policies</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="filters">
        <FilterSelect
          label="Status"
          value={f.status}
          onChange={(v) => set('status', v)}
          options={['draft', 'active', 'disabled']}
        />
      </form>
      <Show r={list} empty={(d) => d.length === 0}>
        {(d) => (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Policy</th>
                  <th scope="col">Status</th>
                  <th scope="col">Action</th>
                  <th scope="col">Scope</th>
                  <th scope="col">Updated</th>
                </tr>
              </thead>
              <tbody>
                {d.map((p) => (
                  <tr key={p.id}>
                    <td>
                      <Link href={`/policies/${p.id}`}>{p.name}</Link>
                      <div className="muted small">
                        <code>{p.condition}</code>
                      </div>
                    </td>
                    <td>
                      <Badge value={p.status} />
                    </td>
                    <td>{p.action}</td>
                    <td>
                      {p.scope}
                      {p.scopeAgentId ? ` (${p.scopeAgentId})` : ''}
                    </td>
                    <td>
                      <Time at={p.updatedAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Show>
      <LoadMore paged={list} />
      {isAdmin && <CreatePolicy onCreated={() => list.reload()} />}
    </section>
  );
}

export function PolicyPage({ id, isAdmin }: { id: string; isAdmin: boolean }) {
  const policy = useApi<Policy>(isUuid(id) ? `/policies/${id}` : null);
  const act = useAction();
  if (!isUuid(id) || isNotFound(policy.error)) return <NotFound what="policy" id={id} />;
  const change = (verb: 'activate' | 'disable') =>
    act.run(async () => {
      await api(`/policies/${id}/${verb}`, { method: 'POST', body: {} });
      policy.reload();
    }, `${verb}d`);
  return (
    <section>
      <Show r={policy}>
        {(p) => (
          <>
            <h1>
              {p.name} <Badge value={p.status} /> <IdTag id={p.id} label="policy id" />
            </h1>
            <p>{p.description}</p>
            <dl className="kv">
              <dt>Category</dt>
              <dd>{p.category}</dd>
              <dt>Action</dt>
              <dd>{p.action}</dd>
              <dt>Scope</dt>
              <dd>
                {p.scope}
                {p.scopeAgentId ? ` (${p.scopeAgentId})` : ''}
              </dd>
              <dt>Condition (CEL)</dt>
              <dd>
                <code>{p.condition}</code>
              </dd>
              <dt>Source</dt>
              <dd>
                {p.sourceType}
                {p.sourcePatternId ? (
                  <>
                    {' · '}
                    <Link href={`/patterns/${p.sourcePatternId}`}>pattern</Link>
                  </>
                ) : null}
              </dd>
              <dt>Confidence</dt>
              <dd>{p.generationConfidence ?? '—'}</dd>
              <dt>Updated</dt>
              <dd>
                <Time at={p.updatedAt} />
              </dd>
            </dl>
            {isAdmin && (
              <p className="actions">
                <button disabled={act.busy || p.status === 'active'} onClick={() => change('activate')}>
                  Activate
                </button>
                <button
                  disabled={act.busy || p.status === 'disabled'}
                  className="secondary"
                  onClick={() => change('disable')}
                >
                  Disable
                </button>
              </p>
            )}
            {act.note}
          </>
        )}
      </Show>
    </section>
  );
}

const CATEGORIES = ['safety', 'privacy', 'operational', 'routing', 'custom'];
const ACTIONS = ['block', 'warn', 'escalate', 'route_away'];
const SCOPES = ['tenant', 'agent', 'global'];

/** The condition is parsed by the server as it is typed (POST /policies/validate, debounced). */
function CreatePolicy({ onCreated }: { onCreated: () => void }) {
  const [, navigate] = useLocation();
  const [form, setForm] = useState({
    name: '',
    description: '',
    category: 'operational',
    action: 'warn',
    scope: 'tenant',
    scopeAgentId: '',
    condition: '',
  });
  const [check, setCheck] = useState<{ ok: boolean; error?: string } | null>(null);
  const act = useAction();
  useEffect(() => {
    if (!form.condition.trim()) return setCheck(null);
    const t = setTimeout(() => {
      api<{ ok: boolean; error?: string }>('/policies/validate', {
        method: 'POST',
        body: { condition: form.condition },
      }).then(setCheck, (e: Error) => setCheck({ ok: false, error: e.message }));
    }, 250);
    return () => clearTimeout(t);
  }, [form.condition]);
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  const submit = () =>
    act.run(async () => {
      const created = await api<Policy>('/policies', {
        method: 'POST',
        body: {
          ...form,
          description: form.description || undefined,
          scopeAgentId: form.scope === 'agent' ? form.scopeAgentId : undefined,
        },
      });
      onCreated();
      navigate(`/policies/${created.id}`);
    });
  const select = (k: 'category' | 'action' | 'scope', label: string, options: string[]) => (
    <label>
      {label}
      <select value={form[k]} onChange={set(k)}>
        {options.map((c) => (
          <option key={c}>{c}</option>
        ))}
      </select>
    </label>
  );
  return (
    <form
      className="card form"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
      aria-labelledby="new-policy"
    >
      <h2 id="new-policy">New policy</h2>
      <label>
        Name <input required value={form.name} onChange={set('name')} />
      </label>
      <label>
        Description <input value={form.description} onChange={set('description')} />
      </label>
      {select('category', 'Category', CATEGORIES)}
      {select('action', 'Action', ACTIONS)}
      {select('scope', 'Scope', SCOPES)}
      {form.scope === 'agent' && (
        <label>
          Agent <input value={form.scopeAgentId} onChange={set('scopeAgentId')} />
        </label>
      )}
      <label>
        Condition (CEL)
        <textarea
          required
          rows={3}
          value={form.condition}
          onChange={set('condition')}
          aria-describedby="cel-check"
          placeholder='request.agentId == "agent-7"'
        />
      </label>
      <p id="cel-check" role="status" className={check ? (check.ok ? 'ok' : 'error') : 'muted'}>
        {check
          ? check.ok
            ? 'Condition parses.'
            : check.error
          : 'Over request.agentId, request.capability, request.tenantId, request.context.*'}
      </p>
      <button type="submit" disabled={act.busy || check?.ok === false}>
        Create
      </button>
      {act.note}
    </form>
  );
}
