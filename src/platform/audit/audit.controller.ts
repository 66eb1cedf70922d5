import { Body, Controller, Get, HttpCode, Inject, Post, Query, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentPrincipal, RequireRole } from '../auth/auth.decorators.js';
import { actorOf, type Principal } from '../auth/principal.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import type { AuditCheckpoint } from './chain/checkpoint.js';
import { CreateAuditCheckpoint } from './checkpoints/create-audit-checkpoint.command.js';
import { ExportAuditLog } from './export/export-audit-log.query.js';
import { ListAuditEntriesQueryDto } from './list-entries/list-audit-entries.dto.js';
import { ListAuditEntries, type AuditEntryPage } from './list-entries/list-audit-entries.query.js';
import { ApplyAuditRetention, type AuditRetentionResult } from './retention/apply-audit-retention.command.js';
import { ApplyAuditRetentionDto } from './retention/apply-audit-retention.dto.js';
import { AuditSigningKey } from './signing/audit-signing-key.js';
import { ChainVerdictView } from './verify/chain-verdict.view.js';
import { VerifyAuditLog } from './verify/verify-audit-log.query.js';

/** The public half of the checkpoint signing key. */
export interface AuditPublicKeyView {
  algorithm: 'Ed25519';
  keyId: string;
  /** SPKI PEM: what node:crypto, OpenSSL and most libraries read. */
  publicKeyPem: string;
  /** The raw 32-byte key, base64. */
  publicKey: string;
}

/**
 * The caller's tenant's audit log (DESIGN §12, ADR 0016). Reads (list, verify, export, public key):
 * any role of the tenant, viewers included; a checkpoint on demand and a retention cut: admin.
 */
@ApiTags('audit')
@ApiBearerAuth()
@Controller('audit')
export class AuditController {
  constructor(
    private readonly queries: QueryBus,
    private readonly commands: CommandBus,
    private readonly key: AuditSigningKey,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @ApiOperation({ summary: 'The audit log, newest first' })
  @Get()
  list(@Query() q: ListAuditEntriesQueryDto, @CurrentPrincipal() p: Principal): Promise<AuditEntryPage> {
    const { cursor, limit, ...filter } = q;
    return this.queries.execute(
      new ListAuditEntries({ tenantId: p.tenantId, filter, cursor: cursor ?? null, limit: limit ?? 50 }),
    );
  }

  /** Recomputes the chain and checks the checkpoints: `{ok, entries, checkpoints, firstBrokenSeq?, problem?}`. */
  @ApiOperation({ summary: 'Verify the audit chain and its checkpoints' })
  @ApiOkResponse({ type: ChainVerdictView })
  @Get('verify')
  verify(@CurrentPrincipal() p: Principal): Promise<ChainVerdictView> {
    return this.queries.execute(new VerifyAuditLog({ tenantId: p.tenantId }));
  }

  /** JSON lines: a header, the checkpoints, the entries; scripts/verify-audit-export.mjs checks it offline. */
  @ApiOperation({ summary: 'Export the audit log as JSON lines' })
  @Get('export')
  @ApiProduces('application/x-ndjson')
  async export(@CurrentPrincipal() p: Principal, @Res() res: Response): Promise<void> {
    res.setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="audit-${p.tenantId}.jsonl"`);
    try {
      const stallMs = this.config.audit.exportStallMs;
      await this.queries.execute(
        new ExportAuditLog({ tenantId: p.tenantId, write: (chunk) => writeTo(res, chunk, stallMs) }),
      );
      res.end();
    } catch (err) {
      if (!res.headersSent) throw err;
      res.destroy(err as Error); // cut short: the client sees a broken transfer, not a shorter log
    }
  }

  @ApiOperation({ summary: 'The public key that signs audit checkpoints' })
  @Get('public-key')
  publicKey(): AuditPublicKeyView {
    return {
      algorithm: 'Ed25519',
      keyId: this.key.keyId,
      publicKeyPem: this.key.publicKeyPem,
      publicKey: this.key.publicKeyRaw,
    };
  }

  /** Signs the chain head now (409 if the chain does not hold up to it, or the log is empty). */
  @ApiOperation({ summary: 'Sign the audit chain head now' })
  @Post('checkpoints')
  @RequireRole('admin')
  async checkpoint(@CurrentPrincipal() p: Principal): Promise<AuditCheckpoint> {
    return (await this.commands.execute(new CreateAuditCheckpoint({ tenantId: p.tenantId, kind: 'on_demand' })))!;
  }

  /** Cuts entries older than `before`, with a signed checkpoint of what was cut; recorded in the log itself. */
  @ApiOperation({ summary: 'Cut old audit entries, with a signed checkpoint of the cut' })
  @Post('retention')
  @HttpCode(200)
  @RequireRole('admin')
  retention(@Body() body: ApplyAuditRetentionDto, @CurrentPrincipal() p: Principal): Promise<AuditRetentionResult> {
    return this.commands.execute(
      new ApplyAuditRetention({ tenantId: p.tenantId, before: body.before, reason: body.reason, actor: actorOf(p) }),
    );
  }
}

/**
 * Writes a chunk, waiting while the client's socket is full; rejects if the client goes away, or
 * reads nothing for `stallMs`: meanwhile the export holds a pooled connection and a snapshot, and a
 * few clients that stop reading would otherwise take the whole pool.
 */
function writeTo(res: Response, chunk: string, stallMs: number): Promise<void> {
  if (chunk === '' || res.write(chunk)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      clearTimeout(stalled);
      res.off('drain', onDrain);
      res.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => done();
    const onClose = () => done(new Error('the client closed the export'));
    const stalled = setTimeout(() => done(new Error(`the client read nothing for ${stallMs} ms`)), stallMs);
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}
