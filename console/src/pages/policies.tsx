import { useEffect, useState } from 'react';
import { api, qs } from '../api';
import { Badge, Link, Show, fmtTime, navigate, FilterSelect, useAction, useApi } from '../ui';

export function Policies({ isAdmin }: { isAdmin: boolean }) {
  const [status, setStatus] = useState('');
  const list = useApi(`/policies${qs({ status, limit: 100 })}`);
  return (
    <section>
      <h1>Policies</h1>
      <FilterSelect label="Status" value={status} onChange={setStatus} options={['draft', 'active', 'disabled']} />
      <Show r={list} empty={(d: any) => d.items.length === 0}>
        {(d: any) => (
          <div className="table-wrap">
            <table>
              <thead><tr><th>Policy</th><th>Status</th><th>Action</th><th>Scope</th><th>Updated</th></tr></thead>
              <tbody>
                {d.items.map((p: any) => (
                  <tr key={p.id}>
                    <td><Link to={`/policies/${p.id}`}>{p.name}</Link><div className="muted small"><code>{p.condition}</code></div></td>
                    <td><Badge value={p.status} /></td>
                    <td>{p.action}</td>
                    <td>{p.scope}{p.scopeAgentId ? ` (${p.scopeAgentId})` : ''}</td>
                    <td>{fmtTime(p.updatedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Show>
      {isAdmin && <CreatePolicy onCreated={() => list.reload()} />}
    </section>
  );
}

export function PolicyPage({ id, isAdmin }: { id: string; isAdmin: boolean }) {
  const policy = useApi(`/policies/${id}`);
  const act = useAction();
  const change = (verb: 'activate' | 'disable') =>
    act.run(async () => {
      await api(`/policies/${id}/${verb}`, { method: 'POST', body: {} });
      policy.reload();
    }, `${verb}d`);
  return (
    <section>
      <Show r={policy}>
        {(p: any) => (
          <>
            <h1>{p.name} <Badge value={p.status} /></h1>
            <p>{p.description}</p>
            <dl className="kv">
              <dt>Category</dt><dd>{p.category}</dd>
              <dt>Action</dt><dd>{p.action}</dd>
              <dt>Scope</dt><dd>{p.scope}{p.scopeAgentId ? ` (${p.scopeAgentId})` : ''}</dd>
              <dt>Condition (CEL)</dt><dd><code>{p.condition}</code></dd>
              <dt>Source</dt><dd>{p.sourceType}{p.sourcePatternId ? ` · pattern ${p.sourcePatternId.slice(0, 8)}` : ''}</dd>
              <dt>Confidence</dt><dd>{p.generationConfidence ?? '—'}</dd>
              <dt>Updated</dt><dd>{fmtTime(p.updatedAt)}</dd>
            </dl>
            {isAdmin && (
              <p className="actions">
                <button disabled={act.busy || p.status === 'active'} onClick={() => change('activate')}>Activate</button>{' '}
                <button disabled={act.busy || p.status === 'disabled'} onClick={() => change('disable')}>Disable</button>
              </p>
            )}
            {act.note}
          </>
        )}
      </Show>
    </section>
  );
}

/** The condition is parsed by the server as it is typed (POST /policies/validate, debounced). */
function CreatePolicy({ onCreated }: { onCreated: () => void }) {
  const [form, setForm] = useState({ name: '', description: '', category: 'operational', action: 'warn', scope: 'tenant', scopeAgentId: '', condition: '' });
  const [check, setCheck] = useState<{ ok: boolean; error?: string } | null>(null);
  const act = useAction();
  useEffect(() => {
    if (!form.condition.trim()) return setCheck(null);
    const t = setTimeout(() => {
      api('/policies/validate', { method: 'POST', body: { condition: form.condition } }).then(setCheck, (e) => setCheck({ ok: false, error: e.message }));
    }, 250);
    return () => clearTimeout(t);
  }, [form.condition]);
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  const submit = () =>
    act.run(async () => {
      const created = await api('/policies', {
        method: 'POST',
        body: { ...form, description: form.description || undefined, scopeAgentId: form.scope === 'agent' ? form.scopeAgentId : undefined },
      });
      onCreated();
      navigate(`/policies/${created.id}`);
    });
  return (
    <form className="card form" onSubmit={(e) => { e.preventDefault(); void submit(); }} aria-labelledby="new-policy">
      <h2 id="new-policy">New policy</h2>
      <label>Name <input required value={form.name} onChange={set('name')} /></label>
      <label>Description <input value={form.description} onChange={set('description')} /></label>
      <label>Category <select value={form.category} onChange={set('category')}>{['safety', 'privacy', 'operational', 'routing', 'custom'].map((c) => <option key={c}>{c}</option>)}</select></label>
      <label>Action <select value={form.action} onChange={set('action')}>{['block', 'warn', 'escalate', 'route_away'].map((c) => <option key={c}>{c}</option>)}</select></label>
      <label>Scope <select value={form.scope} onChange={set('scope')}>{['tenant', 'agent', 'global'].map((c) => <option key={c}>{c}</option>)}</select></label>
      {form.scope === 'agent' && <label>Agent <input value={form.scopeAgentId} onChange={set('scopeAgentId')} /></label>}
      <label>
        Condition (CEL)
        <textarea required rows={3} value={form.condition} onChange={set('condition')} aria-describedby="cel-check" placeholder='request.agentId == "agent-7"' />
      </label>
      <p id="cel-check" role="status" className={check ? (check.ok ? 'ok' : 'error') : 'muted'}>
        {check ? (check.ok ? 'Condition parses.' : check.error) : 'Over request.agentId, request.capability, request.tenantId, request.context.*'}
      </p>
      <button type="submit" disabled={act.busy || check?.ok === false}>Create</button>
      {act.note}
    </form>
  );
}
