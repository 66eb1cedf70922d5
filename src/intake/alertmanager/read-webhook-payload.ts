import { fieldErrorOf, inputProblem } from '../../platform/http/input-guard.js';
import { checkBody, type FieldError } from '../../platform/http/validation.js';
import { fingerprintOf, type WebhookAlert, type WebhookPayload } from './alertmanager-payload.js';
import { WebhookAlertDto, WebhookPayloadDto } from './receive-alerts.dto.js';

/** An alert of the payload that is not Alertmanager's shape: where it was, and its fields named as a 400 names them. */
export interface RejectedAlert {
  index: number;
  fields: FieldError[];
}

/**
 * What `POST /intake/alertmanager` takes of a body: the payload with its valid alerts, and the
 * alerts it refuses. An alert is refused on its own, not with its group: Alertmanager does not
 * retry a 4xx and re-sends the same group on every flush, so one odd alert would otherwise keep
 * every other alert of its group out for good. A bad envelope, or no valid alert at all, is the
 * 400 (`problems`).
 */
export function readWebhookPayload(
  body: unknown,
): { payload: WebhookPayload; rejected: RejectedAlert[] } | { payload: null; problems: FieldError[] } {
  const raw =
    typeof body === 'object' && body !== null && 'alerts' in body && Array.isArray(body.alerts) ? body.alerts : [];
  // The alerts are checked one by one below: the envelope's check sees only how many there are.
  const envelope = checkBody(WebhookPayloadDto, raw.length ? { ...body!, alerts: raw.map(() => null) } : body, {
    unknownFields: 'ignore',
  });
  // Every alert is checked, so that a 400 for the envelope names the alerts' problems too.
  const checked = raw.map((a: unknown, i) => checkAlert(a, `alerts[${i}]`));
  const alerts = checked.flatMap((c) => (c.value ? [c.value] : []));
  if (!envelope.value || alerts.length === 0)
    return { payload: null, problems: [...envelope.errors, ...checked.flatMap((c) => c.errors)] };
  const rejected = checked.flatMap((c, index) => (c.value ? [] : [{ index, fields: c.errors }]));
  return { payload: webhookPayloadOf(envelope.value, alerts), rejected };
}

/**
 * One alert, checked first as the input guard checks a body (it leaves alerts to this): a label or
 * annotation named `constructor`, `prototype` or `__proto__`, or a NUL in a value, refuses this
 * alert, before class-transformer, which such a key would reach through.
 */
function checkAlert(alert: unknown, path: string): { value: WebhookAlertDto | null; errors: FieldError[] } {
  const problem = inputProblem(alert, path);
  if (problem) return { value: null, errors: [fieldErrorOf(problem)] };
  return checkBody(WebhookAlertDto, alert, { unknownFields: 'ignore', path });
}

/** The payload with what a sender may leave out filled in: empty label sets and texts, `truncatedAlerts` 0, and each alert's fingerprint (from its labels when it has none). */
function webhookPayloadOf(dto: WebhookPayloadDto, alerts: WebhookAlertDto[]): WebhookPayload {
  return {
    version: dto.version,
    groupKey: dto.groupKey,
    truncatedAlerts: dto.truncatedAlerts ?? 0,
    status: dto.status,
    receiver: dto.receiver,
    groupLabels: dto.groupLabels ?? {},
    commonLabels: dto.commonLabels ?? {},
    commonAnnotations: dto.commonAnnotations ?? {},
    externalURL: dto.externalURL ?? '',
    alerts: alerts.map((a): WebhookAlert => ({
      status: a.status,
      labels: a.labels,
      annotations: a.annotations ?? {},
      startsAt: a.startsAt,
      endsAt: a.endsAt ?? '',
      generatorURL: a.generatorURL ?? '',
      fingerprint: a.fingerprint || fingerprintOf(a.labels),
    })),
  };
}
