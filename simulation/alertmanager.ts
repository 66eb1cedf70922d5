/** One simulated alert: its labels, its summary annotation, and Alertmanager's fingerprint of it. */
export interface SimulatedAlert {
  labels: { alertname: string; service: string; capability: string; severity: string };
  summary: string;
  fingerprint: string;
}

/** The Alertmanager webhook (version 4) around `alerts`, as Alertmanager sends it (alerts are the caller's). */
export function alertmanagerEnvelope(alerts: unknown[], status: 'firing' | 'resolved' = 'firing', groupKey = '{}:{}') {
  return {
    version: '4',
    groupKey,
    truncatedAlerts: 0,
    status,
    receiver: 'pillar-loop',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    alerts,
  };
}

/** The Alertmanager webhook (version 4) for one alert, firing or resolved, as Alertmanager sends it. */
export function alertmanagerWebhook(a: SimulatedAlert, status: 'firing' | 'resolved') {
  const now = new Date().toISOString();
  const alert = {
    status,
    labels: a.labels,
    annotations: { summary: a.summary },
    startsAt: now,
    endsAt: status === 'resolved' ? now : '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus:9090/graph',
    fingerprint: a.fingerprint,
  };
  return alertmanagerEnvelope([alert], status, `{}:{alertname="${a.labels.alertname}"}`);
}
