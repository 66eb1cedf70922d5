import type { Schemas } from '../api/client';
import { Badge, fmtMs } from './format';

type Canary = Schemas['CanaryView'];

/** A canary step's trial: each candidate with its check result and score, the winner marked; then the restore and its SLA. */
export function CanaryTable({ canary }: { canary: Canary }) {
  const winner = canary.winner?.index ?? null;
  return (
    <div className="canary small" data-testid="canary">
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th>#</th>
              <th>Candidate</th>
              <th>Check</th>
              <th>Score</th>
              <th>Winner</th>
            </tr>
          </thead>
          <tbody>
            {canary.candidates.map((c) => (
              <tr key={c.index} data-candidate={c.index} data-result={c.result} data-winner={c.index === winner}>
                <td>{c.index}</td>
                <td>
                  <code>{JSON.stringify(c.params)}</code>
                </td>
                <td>
                  <Badge value={c.result} />
                  {c.reason && <div className="muted">{c.reason}</div>}
                </td>
                <td>{c.score ?? '—'}</td>
                <td>{c.index === winner ? (canary.outcome === 'promoted' ? 'promoted' : 'winner') : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {canary.restore && (
        <div data-testid="canary-restore">
          Canary restore:{' '}
          {canary.restore.ms === null
            ? `under way (SLA ${fmtMs(canary.restore.slaMs)})`
            : `${fmtMs(canary.restore.ms)}, SLA ${fmtMs(canary.restore.slaMs)} ${canary.restore.withinSla ? 'met' : 'missed'}`}
        </div>
      )}
      {canary.summary && <div className="muted">{canary.summary}</div>}
    </div>
  );
}
