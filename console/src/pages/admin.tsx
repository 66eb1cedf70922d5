import { useEffect, useState } from 'react';
import { api, type KillSwitchState } from '../api/client';
import type { Actuator, Flags as FlagList, Guardrails as GuardrailSettings, Page } from '../api/untyped-routes';
import { Show, useAction, useApi } from '../components/data';
import { Badge, Time, shortenIds } from '../components/format';

function Flags({ platformAdmin }: { platformAdmin: boolean }) {
  const flags = useApi<FlagList>('/integration/flags');
  const act = useAction();
  const set = (name: string, enabled: boolean, scope: 'tenant' | 'global') =>
    act.run(
      async () => {
        await api(`/integration/flags/${name}`, { method: 'PUT', body: { enabled, scope } });
        flags.reload();
      },
      `${name} ${enabled ? 'on' : 'off'} (${scope})`,
    );
  return (
    <section className="card" aria-labelledby="flags-h">
      <h2 id="flags-h">Flags per bridge</h2>
      <Show r={flags}>
        {(d) => (
          <>
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th>Flag</th>
                    <th>Effective</th>
                    <th>Global</th>
                    <th>Tenant override</th>
                    <th>Change</th>
                  </tr>
                </thead>
                <tbody>
                  {d.items.map((f) => (
                    <tr key={f.name} data-flag={f.name}>
                      <td>{f.name}</td>
                      <td>
                        <Badge value={f.enabled ? 'on' : 'off'} />
                      </td>
                      <td>
                        {f.globalEnabled ? 'on' : 'off'} <span className="muted small">{f.globalSource}</span>
                      </td>
                      <td>{f.tenantOverride === null ? '—' : f.tenantOverride ? 'on' : 'off'}</td>
                      <td className="inline">
                        <button
                          disabled={act.busy}
                          aria-label={`Turn ${f.enabled ? 'off' : 'on'} ${f.name} for this tenant`}
                          onClick={() => set(f.name, !f.enabled, 'tenant')}
                        >
                          Turn {f.enabled ? 'off' : 'on'}
                        </button>
                        {platformAdmin && (
                          <button disabled={act.busy} onClick={() => set(f.name, !f.globalEnabled, 'global')}>
                            Global {f.globalEnabled ? 'off' : 'on'}
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {act.note}
            <h3>History</h3>
            {d.history.length === 0 ? (
              <p className="muted">No changes yet.</p>
            ) : (
              <ol className="timeline small">
                {d.history.slice(0, 20).map((h, i) => (
                  <li key={i}>
                    <Time at={h.changedAt} /> {h.name} {String(h.oldEnabled)} → {String(h.newEnabled)}{' '}
                    {h.tenantId ? '' : '(global)'} by {shortenIds(h.changedBy)}
                  </li>
                ))}
              </ol>
            )}
          </>
        )}
      </Show>
    </section>
  );
}

function KillSwitch() {
  const state = useApi<KillSwitchState>('/guard/killswitch');
  const [reason, setReason] = useState('');
  const act = useAction();
  const flip = (on: boolean) =>
    act.run(async () => {
      if (on) await api('/guard/killswitch', { method: 'POST', body: { reason } });
      else await api(`/guard/killswitch${reason ? `?reason=${encodeURIComponent(reason)}` : ''}`, { method: 'DELETE' });
      state.reload();
    });
  return (
    <section className="card" aria-labelledby="ks-h">
      <h2 id="ks-h">Kill switch</h2>
      <Show r={state}>
        {(k) => (
          <>
            <p>
              Tenant: <Badge value={k.tenant?.active ? 'active' : 'inactive'} />{' '}
              {k.tenant && (
                <span className="muted small">
                  {k.tenant.reason} · {k.tenant.changedBy} · <Time at={k.tenant.changedAt} />
                </span>
              )}
            </p>
            {k.agents.length > 0 && (
              <ul>
                {k.agents.map((a) => (
                  <li key={a.agentId}>
                    {a.agentId}: <Badge value={a.active ? 'active' : 'inactive'} />
                  </li>
                ))}
              </ul>
            )}
            <div className="inline">
              <label>
                Reason <input value={reason} onChange={(e) => setReason(e.target.value)} />
              </label>
              <button disabled={act.busy || !reason} onClick={() => flip(true)}>
                Activate
              </button>
              <button disabled={act.busy} onClick={() => flip(false)}>
                Deactivate
              </button>
            </div>
          </>
        )}
      </Show>
      {act.note}
    </section>
  );
}

const itemsOf = (d: Page<Actuator> | Actuator[]) => (Array.isArray(d) ? d : d.items);

function Actuators() {
  const list = useApi<Page<Actuator> | Actuator[]>('/actuators');
  const [form, setForm] = useState({ name: 'ops', url: '', timeoutMs: '5000' });
  const [secret, setSecret] = useState<string | null>(null);
  const act = useAction();
  const save = () =>
    act.run(async () => {
      const res = await api<{ signingSecret?: string; secret?: string }>(
        `/actuators/${encodeURIComponent(form.name)}`,
        { method: 'PUT', body: { url: form.url, timeoutMs: Number(form.timeoutMs) } },
      );
      setSecret(res?.signingSecret ?? res?.secret ?? null);
      list.reload();
    }, 'saved');
  return (
    <section className="card" aria-labelledby="act-h">
      <h2 id="act-h">Actuators</h2>
      <Show r={list} empty={(d) => itemsOf(d).length === 0}>
        {(d) => (
          <ul>
            {itemsOf(d).map((a) => (
              <li key={a.name}>
                <strong>{a.name}</strong> {a.url} <span className="muted small">timeout {a.timeoutMs} ms</span>
              </li>
            ))}
          </ul>
        )}
      </Show>
      {!list.error && (
        <form
          className="inline"
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <label>
            Name <input value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
          </label>
          <label>
            URL{' '}
            <input type="url" required value={form.url} onChange={(e) => setForm({ ...form, url: e.target.value })} />
          </label>
          <label>
            Timeout (ms){' '}
            <input
              inputMode="numeric"
              value={form.timeoutMs}
              onChange={(e) => setForm({ ...form, timeoutMs: e.target.value })}
            />
          </label>
          <button type="submit" disabled={act.busy}>
            Save
          </button>
        </form>
      )}
      {secret && (
        <p className="ok" role="status">
          Signing secret (shown once): <code>{secret}</code>
        </p>
      )}
      {act.note}
    </section>
  );
}

function Guardrails() {
  const g = useApi<GuardrailSettings>('/self-healing/guardrails');
  const [text, setText] = useState('');
  const act = useAction();
  useEffect(() => {
    // Only the settings are edited: who changed them last is shown, not sent back.
    if (g.data) {
      const { updatedAt: _at, updatedBy: _by, ...settings } = g.data;
      setText(JSON.stringify(settings, null, 2));
    }
  }, [g.data]);
  const save = () =>
    act.run(async () => {
      await api('/self-healing/guardrails', { method: 'PUT', body: JSON.parse(text) });
      g.reload();
    }, 'saved');
  return (
    <section className="card" aria-labelledby="gr-h">
      <h2 id="gr-h">Guardrails for automatic runs</h2>
      <Show r={g}>
        {() => (
          <>
            <p className="muted small">
              Last changed{' '}
              {g.data?.updatedAt ? (
                <>
                  <Time at={g.data.updatedAt} /> by {g.data.updatedBy}
                </>
              ) : (
                'never'
              )}
            </p>
            <label>
              Settings (JSON)
              <textarea rows={10} value={text} onChange={(e) => setText(e.target.value)} />
            </label>
            <button disabled={act.busy} onClick={save}>
              Save
            </button>
          </>
        )}
      </Show>
      {act.note}
    </section>
  );
}

export function Admin({ platformAdmin }: { platformAdmin: boolean }) {
  return (
    <section>
      <h1>Admin</h1>
      <Flags platformAdmin={platformAdmin} />
      <KillSwitch />
      <Actuators />
      <Guardrails />
    </section>
  );
}
