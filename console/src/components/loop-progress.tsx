import { useState } from 'react';
import { STAGES, STAGE_LABELS, type LoopStageDetail, type LoopStatus, type Recovery } from '../api/client';
import { RECONNECTED } from '../api/stream';
import { useApi, useStream } from './data';
import { Badge, fmtMs } from './format';

/**
 * The five-stage loop, live: each loop_progress of this incident (on the tab's tenant stream)
 * replaces the status and refreshes the stage details, also after the loop completed.
 * The recovery stage shows the recovery as it stands now (the trace keeps it as suggested).
 */
export function LoopProgress({
  incidentId,
  recovery,
  onUpdate,
}: {
  incidentId: string;
  recovery?: Recovery | null;
  onUpdate?: () => void;
}) {
  const status = useApi<LoopStatus>(`/integration/loop/${incidentId}`);
  const stages = useApi<LoopStageDetail[]>(`/integration/loop/${incidentId}/stages`);
  const [live, setLive] = useState<LoopStatus | null>(null);
  const current = live ?? status.data;
  // loop_progress of this incident, on the tab's shared tenant stream (no stream of its own).
  useStream(
    '/integration/stream',
    (d, event) => {
      if (event === RECONNECTED) {
        setLive(null);
        status.reload();
        stages.reload();
        return;
      }
      const s = d as LoopStatus;
      if (s.incidentId !== incidentId) return;
      setLive(s);
      stages.reload();
      onUpdate?.();
    },
    ['loop_progress', RECONNECTED],
  );
  const byStage = new Map((stages.data ?? []).map((s) => [s.stage, s]));
  return (
    <section aria-labelledby="loop-h" className="card">
      <h2 id="loop-h">
        Loop progress{' '}
        {current && (
          <span data-testid="loop-count">
            {current.stagesCompleted.length}/{current.totalStages}
          </span>
        )}{' '}
        {current && <Badge value={current.state} />}
      </h2>
      {status.error && (
        <p className="error" role="alert">
          {status.error.message}
        </p>
      )}
      <ol className="loop">
        {STAGES.map((stage) => {
          const d = byStage.get(stage);
          const st = d?.status ?? (current?.stagesCompleted.includes(stage) ? 'completed' : 'pending');
          return (
            <li key={stage} className={`stage s-${st}`} data-stage={stage} data-status={st}>
              <div className="stage-name">{STAGE_LABELS[stage]}</div>
              <Badge value={st} />
              <div className="muted small">
                {d?.durationMs != null ? fmtMs(d.durationMs) : ''}
                {d && d.attempts > 1 ? ` · ${d.attempts} attempts` : ''}
              </div>
              {d?.error && <div className="error small">{d.error}</div>}
              {stage === 'recovery_suggested' && recovery && (
                <div className="small" data-testid="loop-recovery">
                  {recovery.playbookName ?? recovery.playbookId}: <Badge value={recovery.status} />
                </div>
              )}
              {stage === 'pattern_matched' && d?.details.isNewPattern !== undefined && (
                <div className="muted small">{d.details.isNewPattern ? 'new pattern' : 'known pattern'}</div>
              )}
            </li>
          );
        })}
      </ol>
      {current?.durationMs != null && <p className="muted small">Completed in {fmtMs(current.durationMs)}</p>}
    </section>
  );
}
