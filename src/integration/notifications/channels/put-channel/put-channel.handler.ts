import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AuditTrail } from '../../../../platform/audit/audit-trail.js';
import { SecretBox } from '../../../../platform/crypto/secret-box.js';
import { generateWebhookSecret } from '../../../../platform/crypto/webhook-signature.js';
import { TransactionHost } from '../../../../platform/database/transaction-host.js';
import { Egress } from '../../../../platform/egress/egress.js';
import { maskedQueryUrl } from '../../../../platform/http/query-pairs.js';
import { invalidFields } from '../../../../platform/http/validation.js';
import { ChannelRepository } from '../channel.repository.js';
import { auditedChannel, channelView, maskedUrl } from '../channel.view.js';
import { PutChannel, type PutChannelResult } from './put-channel.command.js';
import { DEFAULT_CHANNEL_TIMEOUT_MS } from './put-channel.dto.js';

@CommandHandler(PutChannel)
export class PutChannelHandler implements ICommandHandler<PutChannel> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly channels: ChannelRepository,
    private readonly box: SecretBox,
    private readonly egress: Egress,
    private readonly audit: AuditTrail,
  ) {}

  async execute({ tenantId, name, channel, actor }: PutChannel): Promise<PutChannelResult> {
    // The one egress rule (ADR 0013), checked before anything is stored; every send checks it again.
    const refusal = await this.egress.refusal(channel.url);
    if (refusal) throw invalidFields([{ field: 'url', errors: [`url ${refusal}`] }]);
    return this.tx.run(async () => {
      const before = await this.channels.find(tenantId, name);
      const webhook = channel.type === 'webhook';
      const secret = webhook ? generateWebhookSecret() : null;
      const secretSealed = secret === null ? null : this.box.seal(secret);
      // Whether it is stored is decided by the upsert, on the row it holds (`before` is not locked):
      // the secret is shown when it is the one stored, so a secret shown is the one that signs. A
      // stored secret this replica cannot open (SECRETS_KEY changed) would dead-letter every
      // delivery: a PUT replaces it, as a rotation.
      const unopened =
        before?.secret_sealed != null && this.box.openOrNull(before.secret_sealed) === null
          ? before.secret_sealed
          : null;
      const { row, created } = await this.channels.upsert({
        tenantId,
        name,
        type: channel.type,
        urlSealed: this.box.seal(channel.url),
        urlShown: webhook ? maskedQueryUrl(channel.url) : maskedUrl(channel.url),
        secretSealed,
        rotate: channel.rotateSecret === true,
        unopenedSecret: unopened,
        timeoutMs: channel.timeoutMs ?? DEFAULT_CHANNEL_TIMEOUT_MS,
      });
      const newSecret = secretSealed !== null && row.secret_sealed === secretSealed ? secret : null;
      await this.audit.record({
        tenantId,
        actor,
        action: created ? 'notification_channel.created' : 'notification_channel.updated',
        subject: { type: 'notification_channel', id: name },
        before: before && auditedChannel(before),
        after: {
          ...auditedChannel(row),
          secretRotated: !created && newSecret !== null,
          // The URL is fingerprinted as shown (a Slack path, a webhook's query values masked), which
          // cannot tell a replaced credential in it: said in words.
          ...(before && { urlReplaced: this.box.openOrNull(before.url_sealed) !== channel.url }),
        },
      });
      return { channel: channelView(row), created, secret: newSecret };
    });
  }
}
