import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { SecretBox } from '../../../platform/crypto/secret-box.js';
import { signWebhook } from '../../../platform/crypto/webhook-signature.js';
import { Egress, EgressFailure } from '../../../platform/egress/egress.js';
import { secretRedactor } from '../../../platform/egress/redact-secrets.js';
import { MetricsService } from '../../../platform/metrics/metrics.service.js';
import { ActuatorRepository } from '../actuator.repository.js';
import { openActuator, type OpenedActuator } from '../open-actuator.js';
import { classifyAnswer, MAX_ANSWER_BYTES } from './actuator-answer.js';
import { CallActuator, type ActuatorCallResult } from './call-actuator.command.js';

@CommandHandler(CallActuator)
export class CallActuatorHandler implements ICommandHandler<CallActuator> {
  constructor(
    private readonly actuators: ActuatorRepository,
    private readonly box: SecretBox,
    private readonly egress: Egress,
    private readonly metrics: MetricsService,
  ) {}

  // Runs outside any transaction: the actuator is read, then the call is made with no connection held.
  async execute(c: CallActuator): Promise<ActuatorCallResult> {
    const result = await this.call(c);
    if (result.outcome !== 'not_configured' && !result.interrupted)
      this.metrics.actuatorCallDuration.observe({ outcome: result.outcome }, result.durationMs / 1000);
    return result;
  }

  private async call(c: CallActuator): Promise<ActuatorCallResult> {
    const started = Date.now();
    const actuator = c.actuator ?? (await this.actuators.find(c.tenantId, c.actuatorName));
    if (!actuator) {
      return {
        outcome: 'not_configured',
        status: null,
        body: null,
        error: `actuator "${c.actuatorName}" is not configured`,
        retryAfterMs: null,
        durationMs: 0,
      };
    }
    const body = JSON.stringify(c.payload);
    const timestamp = Math.floor(Date.now() / 1000);
    let opened: OpenedActuator;
    let signature: string;
    try {
      opened = openActuator(actuator, this.box);
      signature = signWebhook(opened.secret, c.webhookId, timestamp, body);
    } catch {
      // Sealed under another SECRETS_KEY (rotated, or a replica that generated its own): calling again changes nothing.
      return {
        outcome: 'failed',
        status: null,
        body: null,
        error: `the sealed secret or headers of actuator "${actuator.name}" cannot be opened (was SECRETS_KEY changed?): PUT the actuator again, with its headers (a new signing secret is in the answer)`,
        retryAfterMs: null,
        durationMs: Date.now() - started,
      };
    }
    try {
      // The egress rule (ADR 0013) applies to the address the connection really goes to.
      const answer = await this.egress.send(actuator.url, {
        method: 'POST',
        timeoutMs: c.timeoutMs ?? actuator.timeout_ms,
        maxAnswerBytes: MAX_ANSWER_BYTES,
        cutOff: c.cutOff,
        headers: {
          ...opened.headers,
          'content-type': 'application/json',
          'user-agent': 'pillar-loop-actuator/1',
          'webhook-id': c.webhookId,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signature,
        },
        body,
      });
      const retryAfter = answer.headers['retry-after'];
      // A receiver that echoes the request (a debug endpoint, a proxy) must not turn the sealed
      // headers, the credentials in the URL's query, or the step's callback token into a step's output or
      // error, which every viewer of the tenant reads (ADR 0013): cut from the text (with what the
      // 64 KiB limit left of one at its end) before anything is taken out of it, and from what was
      // parsed (escaped forms) before its error is cut to length.
      const redact = secretRedactor([...opened.secrets, ...callbackToken(c.payload)]);
      return {
        ...classifyAnswer(
          answer.status,
          typeof retryAfter === 'string' ? retryAfter : null,
          redact.answer(answer),
          redact,
        ),
        durationMs: Date.now() - started,
      };
    } catch (err) {
      // Worded without host, port or address (EgressFailure), so a stored error is no scanner's oracle.
      const failure = err instanceof EgressFailure ? err : new EgressFailure('network', 'network error');
      // Refused by the egress rule: calling again changes nothing, so the step fails at once.
      const outcome = failure.kind === 'refused' ? 'failed' : 'retryable';
      return {
        outcome,
        status: null,
        body: null,
        error: failure.message,
        retryAfterMs: null,
        durationMs: Date.now() - started,
        ...(failure.kind === 'interrupted' && { interrupted: true as const }),
      };
    }
  }
}

/**
 * The step's callback token a run's payload carries (the credential of a late result, DESIGN §8,
 * never stored): an answer that echoes the body must not store it either.
 */
function callbackToken(payload: unknown): string[] {
  const token = (payload as { callback?: { token?: unknown } } | null)?.callback?.token;
  return typeof token === 'string' ? [token] : [];
}
