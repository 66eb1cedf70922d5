import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { SecretBox } from '../../../platform/crypto/secret-box.js';
import { MetricsService } from '../../../platform/metrics/metrics.service.js';
import { ActuatorRepository } from '../actuator.repository.js';
import { signWebhook } from '../webhook-signature.js';
import { CallActuator, type ActuatorCallResult } from './call-actuator.command.js';
import { classifyAnswer, readCapped } from './actuator-answer.js';

@CommandHandler(CallActuator)
export class CallActuatorHandler implements ICommandHandler<CallActuator> {
  constructor(
    private readonly actuators: ActuatorRepository,
    private readonly box: SecretBox,
    private readonly metrics: MetricsService,
  ) {}

  // Runs outside any transaction: the actuator is read, then the call is made with no connection held.
  async execute(c: CallActuator): Promise<ActuatorCallResult> {
    const result = await this.call(c);
    if (result.outcome !== 'not_configured') this.metrics.actuatorCallDuration.observe({ outcome: result.outcome }, result.durationMs / 1000);
    return result;
  }

  private async call(c: CallActuator): Promise<ActuatorCallResult> {
    const started = Date.now();
    const actuator = await this.actuators.find(c.tenantId, c.actuatorName);
    if (!actuator) {
      return { outcome: 'not_configured', status: null, body: null, error: `actuator "${c.actuatorName}" is not configured`, retryAfterMs: null, durationMs: 0 };
    }
    const body = JSON.stringify(c.payload);
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = signWebhook(this.box.open(actuator.secret_sealed), c.webhookId, timestamp, body);
    try {
      const res = await fetch(actuator.url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(c.timeoutMs ?? actuator.timeout_ms),
        headers: {
          ...actuator.headers,
          'content-type': 'application/json',
          'user-agent': 'pillar-loop-actuator/1',
          'webhook-id': c.webhookId,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signature,
        },
        body,
      });
      const text = await readCapped(res);
      return { ...classifyAnswer(res.status, res.headers.get('retry-after'), text), durationMs: Date.now() - started };
    } catch (err) {
      const e = err as Error;
      const error = e.name === 'TimeoutError' ? 'timed out' : `network error: ${(e.cause as Error | undefined)?.message ?? e.message}`;
      return { outcome: 'retryable', status: null, body: null, error, retryAfterMs: null, durationMs: Date.now() - started };
    }
  }
}
