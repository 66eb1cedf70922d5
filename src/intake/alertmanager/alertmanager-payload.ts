import { createHash } from 'node:crypto';
import { isPlainObject, type Problem } from '../invalid-input.js';

/** One alert of Alertmanager's webhook payload (version 4; Grafana's compatible contact point sends the same). */
export interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

export interface WebhookPayload {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: WebhookAlert[];
}

const STATUSES = ['firing', 'resolved'];
const MAX_LABELS = 200;

/**
 * Checks the shape field by field and returns the payload, or null with `problems` naming every
 * offending field (e.g. `alerts[2].labels.alertname`). Fields Alertmanager always sends are
 * required; fields only Grafana adds (orgId, silenceURL, values…) are ignored. An alert without
 * a fingerprint (a hand-written sender) gets one from its labels, as Alertmanager computes its own.
 */
export function parseWebhookPayload(body: unknown, problems: Problem[]): WebhookPayload | null {
  if (!isPlainObject(body)) {
    problems.push({ field: 'body', error: 'must be an Alertmanager webhook payload (a JSON object)' });
    return null;
  }
  const before = problems.length;
  if (body.version !== '4') problems.push({ field: 'version', error: `must be "4" (Alertmanager's webhook payload version), got ${JSON.stringify(body.version ?? null)}` });
  const str = (path: string, v: unknown, required = true): string => {
    if (typeof v === 'string') return v;
    if (v !== undefined || required) problems.push({ field: path, error: 'must be a string' });
    return '';
  };
  const labels = (path: string, v: unknown, required = true): Record<string, string> => {
    if (v === undefined && !required) return {};
    if (!isPlainObject(v)) {
      problems.push({ field: path, error: 'must be an object of string values' });
      return {};
    }
    const entries = Object.entries(v);
    if (entries.length > MAX_LABELS) problems.push({ field: path, error: `at most ${MAX_LABELS} entries` });
    for (const [k, val] of entries) if (typeof val !== 'string') problems.push({ field: `${path}.${k}`, error: 'must be a string' });
    return v as Record<string, string>;
  };
  const status = (path: string, v: unknown) => {
    if (typeof v !== 'string' || !STATUSES.includes(v)) problems.push({ field: path, error: 'must be "firing" or "resolved"' });
    return v as 'firing' | 'resolved';
  };
  const time = (path: string, v: unknown) => {
    const s = str(path, v);
    if (s && Number.isNaN(Date.parse(s))) problems.push({ field: path, error: 'must be an RFC 3339 time' });
    return s;
  };
  const payload = {
    version: '4' as const,
    groupKey: str('groupKey', body.groupKey),
    truncatedAlerts: 0,
    status: status('status', body.status),
    receiver: str('receiver', body.receiver),
    groupLabels: labels('groupLabels', body.groupLabels, false),
    commonLabels: labels('commonLabels', body.commonLabels, false),
    commonAnnotations: labels('commonAnnotations', body.commonAnnotations, false),
    externalURL: str('externalURL', body.externalURL, false),
    alerts: [] as WebhookAlert[],
  };
  if (body.truncatedAlerts !== undefined) {
    if (!Number.isInteger(body.truncatedAlerts) || (body.truncatedAlerts as number) < 0) problems.push({ field: 'truncatedAlerts', error: 'must be a non-negative integer' });
    else payload.truncatedAlerts = body.truncatedAlerts as number;
  }
  if (!Array.isArray(body.alerts) || body.alerts.length === 0) {
    problems.push({ field: 'alerts', error: 'must be a non-empty array of alerts' });
    return null;
  }
  body.alerts.forEach((raw: unknown, i: number) => {
    const path = `alerts[${i}]`;
    if (!isPlainObject(raw)) {
      problems.push({ field: path, error: 'must be an object' });
      return;
    }
    const alert: WebhookAlert = {
      status: status(`${path}.status`, raw.status),
      labels: labels(`${path}.labels`, raw.labels),
      annotations: labels(`${path}.annotations`, raw.annotations, false),
      startsAt: time(`${path}.startsAt`, raw.startsAt),
      endsAt: raw.endsAt === undefined ? '' : time(`${path}.endsAt`, raw.endsAt),
      generatorURL: str(`${path}.generatorURL`, raw.generatorURL, false),
      fingerprint: str(`${path}.fingerprint`, raw.fingerprint, false),
    };
    const name = labelOf(alert.labels, 'alertname');
    if (typeof name !== 'string' || name.trim() === '') problems.push({ field: `${path}.labels.alertname`, error: 'is required: it becomes the incident\'s errorType' });
    else if (name.length > 128) problems.push({ field: `${path}.labels.alertname`, error: 'must be at most 128 characters' });
    if (alert.fingerprint.length > 256) problems.push({ field: `${path}.fingerprint`, error: 'must be at most 256 characters' });
    if (!alert.fingerprint) alert.fingerprint = fingerprintOf(alert.labels);
    payload.alerts.push(alert);
  });
  return problems.length > before ? null : payload;
}

/** A label's value, only if the alert has that label itself (`constructor` is a valid label name). */
export function labelOf(labels: Record<string, string>, name: string): string | undefined {
  return Object.hasOwn(labels, name) ? labels[name] : undefined;
}

/** A stable fingerprint of a label set (sorted name=value pairs), for senders that send none. */
export function fingerprintOf(labels: Record<string, string>): string {
  const canonical = Object.keys(labels).sort().map((k) => `${k}\u0000${labels[k]}`).join('\u0001');
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

const SEVERITY_OF: Record<string, 'low' | 'medium' | 'high' | 'critical'> = {
  critical: 'critical', fatal: 'critical', emergency: 'critical', page: 'critical', p1: 'critical',
  high: 'high', error: 'high', major: 'high', p2: 'high',
  warning: 'medium', warn: 'medium', medium: 'medium', minor: 'medium', p3: 'medium',
  info: 'low', informational: 'low', low: 'low', none: 'low', p4: 'low', p5: 'low',
};

/** The `severity` label mapped onto the incident severities; missing or unknown values are `medium`. */
export function severityOf(label: string | undefined): 'low' | 'medium' | 'high' | 'critical' {
  const key = label?.trim().toLowerCase();
  return key && Object.hasOwn(SEVERITY_OF, key) ? SEVERITY_OF[key] : 'medium';
}

/** A label value made into an agent/capability name (1-128 of [A-Za-z0-9._:/-], starting alphanumeric); null when nothing is left. */
export function nameOf(value: string | undefined): string | null {
  if (!value) return null;
  const cleaned = value.replace(/[^A-Za-z0-9._:\/-]/g, '_').replace(/^[^A-Za-z0-9]+/, '').slice(0, 128);
  return cleaned || null;
}
