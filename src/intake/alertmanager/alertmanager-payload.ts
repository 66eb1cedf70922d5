import { createHash } from 'node:crypto';

/** Alertmanager's webhook payload is version 4; Grafana's compatible webhook contact point sends the same shape as version 1. */
export const PAYLOAD_VERSIONS = ['4', '1'] as const;
export type PayloadVersion = (typeof PAYLOAD_VERSIONS)[number];

/** One alert of the webhook payload. */
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
  version: PayloadVersion;
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

/** A label's value, only if the alert has that label itself (`constructor` is a valid label name). */
export function labelOf(labels: Record<string, string>, name: string): string | undefined {
  return Object.hasOwn(labels, name) ? labels[name] : undefined;
}

/** A stable fingerprint of a label set (sorted name=value pairs), for senders that send none. */
export function fingerprintOf(labels: Record<string, string>): string {
  const canonical = Object.keys(labels)
    .sort()
    .map((k) => `${k}\u0000${labels[k]}`)
    .join('\u0001');
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

const SEVERITY_OF: Record<string, 'low' | 'medium' | 'high' | 'critical'> = {
  critical: 'critical',
  fatal: 'critical',
  emergency: 'critical',
  page: 'critical',
  p1: 'critical',
  high: 'high',
  error: 'high',
  major: 'high',
  p2: 'high',
  warning: 'medium',
  warn: 'medium',
  medium: 'medium',
  minor: 'medium',
  p3: 'medium',
  info: 'low',
  informational: 'low',
  low: 'low',
  none: 'low',
  p4: 'low',
  p5: 'low',
};

/** The `severity` label mapped onto the incident severities; missing or unknown values are `medium`. */
export function severityOf(label: string | undefined): 'low' | 'medium' | 'high' | 'critical' {
  const key = label?.trim().toLowerCase();
  return key && Object.hasOwn(SEVERITY_OF, key) ? SEVERITY_OF[key] : 'medium';
}

/** A label value made into an agent/capability name (1-128 of [A-Za-z0-9._:/-], starting alphanumeric); null when nothing is left. */
export function nameOf(value: string | undefined): string | null {
  if (!value) return null;
  const cleaned = value
    .replace(/[^A-Za-z0-9._:/-]/g, '_')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 128);
  return cleaned || null;
}
