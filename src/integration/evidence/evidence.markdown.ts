import { LOOP_STAGES } from '../loop-status/loop-stages.js';
import type { IncidentEvidence } from './evidence.view.js';

/**
 * Text from users or the loop, made inert for Markdown: backslash-escapes the characters
 * that start inline markup, links, HTML, entities, math or (in a table) a new cell, and turns
 * line breaks into `<br>` (or `newline`), so a message with `|`, backticks or newlines stays
 * in its table cell and renders literally.
 */
export function mdText(value: unknown, newline = '<br>'): string {
  const text = value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  return text.replace(/[\\`*_[\]<>|~&$]/g, (c) => `\\${c}`).replace(/\r\n|\r|\n/g, newline);
}

/** A fenced code block that nothing in `code` can close early. */
export function mdCodeBlock(code: string, language = ''): string {
  const longest = Math.max(0, ...(code.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${language}\n${code}\n${fence}`;
}

const cell = (value: unknown) => (value === null || value === undefined || value === '' ? '—' : mdText(value));
const code = (id: string | null | undefined) => (id ? `\`${id.replace(/`/g, '')}\`` : '—');

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

function details(d: Record<string, unknown> | undefined): string {
  if (!d) return '—';
  const parts = Object.entries(d).filter(([, v]) => v !== null && v !== undefined);
  return parts.length ? parts.map(([k, v]) => `${mdText(k)}: ${mdText(v)}`).join(', ') : '—';
}

/** The evidence as a Markdown document fit to attach to a post-incident review. */
export function renderEvidenceMarkdown(e: IncidentEvidence): string {
  const { incident: i, lifecycle: life, loop, pattern, policy, timeline } = e;
  const out: string[] = [];
  out.push(`# Incident report: ${mdText(i.title, ' ')}`, '');
  out.push(`_Evidence exported ${e.generatedAt} by pillar-loop for incident ${code(i.id)}._`, '');

  out.push('## Summary', '');
  const loopState = loop
    ? `${loop.state} (${loop.stagesCompleted.length}/${loop.totalStages} stages, ${loop.completionPct}%)`
    : 'no loop trace';
  const completion = loop?.completedAt ? `${loop.completedAt} (${loop.durationMs} ms after creation)` : 'not complete';
  out.push(
    table(
      ['Field', 'Value'],
      [
        ['Incident ID', code(i.id)],
        ['Title', cell(i.title)],
        ['Severity', cell(i.severity)],
        [
          'Source',
          cell(
            i.fingerprint
              ? `${i.source} (fingerprint ${i.fingerprint}, fired ${i.repeatCount}×, last ${i.lastSeenAt})`
              : i.source,
          ),
        ],
        ['Agent', cell(i.agentId)],
        ['Capability', cell(i.capability)],
        ['Error type', cell(i.errorType)],
        ['Message', cell(i.message)],
        ['Occurred at', cell(i.occurredAt)],
        ['Created at', cell(i.createdAt)],
        ['Status', cell(life.status)],
        [
          'Acknowledged',
          life.acknowledgedAt ? `${mdText(life.acknowledgedAt)} by ${mdText(life.acknowledgedBy)}` : '—',
        ],
        ['Resolved at', cell(life.resolvedAt)],
        ['Resolved by', cell(life.resolvedBy)],
        [
          'Time to resolve',
          life.timeToResolveMs === null
            ? '—'
            : `${life.timeToResolveMs} ms (${(life.timeToResolveMs / 60_000).toFixed(1)} min)`,
        ],
        [
          'Pattern',
          pattern
            ? `${code(pattern.id)} ${mdText(pattern.template)}`
            : i.matchedPatternId
              ? code(i.matchedPatternId)
              : 'not matched',
        ],
        ['Pattern occurrences', pattern ? String(pattern.occurrenceCount) : '—'],
        ['Loop state', mdText(loopState)],
        ['Loop completed at', mdText(completion)],
      ],
    ),
    '',
  );
  if (Object.keys(i.context ?? {}).length > 0) {
    out.push('### Context', '', mdCodeBlock(JSON.stringify(i.context, null, 2), 'json'), '');
  }

  out.push('## Loop stages', '');
  if (!loop) {
    out.push('_No loop trace was recorded for this incident._', '');
  } else {
    let nextMarked = false;
    const rows = LOOP_STAGES.map((stage, n) => {
      let status = 'pending';
      if (loop.stagesCompleted.includes(stage)) status = 'completed';
      else if (!nextMarked) {
        nextMarked = true;
        status = loop.state === 'failed' || loop.state === 'held' ? loop.state : 'in progress';
      }
      return [String(n + 1), `\`${stage}\``, status, details(loop.details[stage])];
    });
    out.push(table(['#', 'Stage', 'Status', 'Details'], rows), '');
  }

  out.push('## Policy', '');
  if (!policy) {
    out.push("_No policy has been generated for this incident's pattern yet._", '');
  } else {
    out.push(
      table(
        ['Field', 'Value'],
        [
          ['Name', cell(policy.name)],
          ['Policy ID', code(policy.id)],
          ['Action', cell(policy.action)],
          ['Status', cell(policy.status)],
          ['Category', cell(policy.category)],
          [
            'Scope',
            policy.scopeAgentId ? `${mdText(policy.scope)} (${mdText(policy.scopeAgentId)})` : cell(policy.scope),
          ],
          [
            'Generation confidence',
            policy.generationConfidence === null ? '—' : policy.generationConfidence.toFixed(2),
          ],
          ['Updated at', cell(policy.updatedAt)],
        ],
      ),
      '',
      'Condition (CEL):',
      '',
      mdCodeBlock(policy.condition, 'cel'),
      '',
    );
  }

  out.push('## Recoveries', '');
  if (e.recoveries.length === 0) out.push('_No recovery was suggested for this incident._', '');
  else {
    out.push(
      table(
        ['Recovery', 'Playbook', 'Status now', 'Decided by', 'Decided at'],
        e.recoveries.map((r) => [
          code(r.id),
          cell(r.playbookName ?? r.playbookId),
          r.status,
          cell(r.decidedBy),
          cell(r.decidedAt),
        ]),
      ),
      '',
    );
  }

  out.push('## Recovery runs', '');
  if (e.runs.length === 0) out.push('_No recovery has run for this incident._', '');
  for (const run of e.runs) {
    const why = run.reason ? `: ${mdText(run.reason, ' ')}` : '';
    out.push(`### Run ${code(run.id)}: ${mdText(run.playbookId)}, ${run.status}${why}`, '');
    out.push(
      `${run.automatic ? 'Auto-applied' : `Started by ${mdText(run.startedBy)}`}; created ${run.createdAt}, finished ${run.finishedAt ?? '—'}.`,
      '',
    );
    out.push(
      table(
        ['Step', 'List', 'Kind', 'Status', 'Attempts', 'Error'],
        (run.steps ?? []).map((s) => [
          code(s.id),
          s.list,
          s.runsAs === s.kind ? s.kind : `${s.kind} → ${s.runsAs}`,
          s.status,
          String(s.attempts),
          cell(s.error),
        ]),
      ),
      '',
    );
  }

  out.push('## Timeline', '');
  out.push(
    table(
      ['#', 'Time (UTC)', 'Kind', 'Summary'],
      timeline.items.map((item, n) => [String(n + 1), mdText(item.at), `\`${item.kind}\``, cell(item.summary)]),
    ),
    '',
  );
  if (timeline.truncated) {
    out.push(`_Only the newest ${timeline.evaluationLimit} matching policy evaluations are listed._`, '');
  }
  return out.join('\n');
}
