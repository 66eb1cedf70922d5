import { Body, Controller, Delete, Get, HttpCode, NotFoundException, Param, Put, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsObject, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import type { Response } from 'express';
import { validateHeaderValue } from 'node:http';
import { AuditTrail } from '../../platform/audit/audit-trail.js';
import { auditedUrl } from '../../platform/audit/audited-url.js';
import { CurrentPrincipal, RequireRole } from '../../platform/auth/auth.decorators.js';
import { actorOf, type Principal } from '../../platform/auth/principal.js';
import { SecretBox } from '../../platform/crypto/secret-box.js';
import { generateWebhookSecret } from '../../platform/crypto/webhook-signature.js';
import { TransactionHost } from '../../platform/database/transaction-host.js';
import { Egress } from '../../platform/egress/egress.js';
import { invalidFields } from '../../platform/http/validation.js';
import { ACTUATOR_NAME_PATTERN, DEFAULT_STEP_TIMEOUT_MS } from '../recovery/playbook-steps.js';
import { ActuatorRepository, type ActuatorRow } from './actuator.repository.js';
import { actuatorView } from './actuator.view.js';

export class PutActuatorDto {
  @ApiProperty({
    example: 'https://ops.example.com/hooks/pillar-loop',
    description:
      'http(s), without user:password@; a public address unless the platform operator opened its network with ACTUATOR_ALLOW_NETWORKS',
  })
  @IsString()
  @MaxLength(2048)
  url!: string;
  @ApiProperty({
    required: false,
    description:
      'extra request headers (not webhook-*, host or content-*), stored sealed: their values are shown in this answer only, later just their names. Omitted: the stored ones are kept; {} removes them',
  })
  @IsOptional()
  @IsObject()
  headers?: Record<string, string>;
  @ApiProperty({ required: false, default: DEFAULT_STEP_TIMEOUT_MS })
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(600_000)
  timeoutMs?: number;
  @ApiProperty({ required: false, description: 'generate a new signing secret (shown once in the answer)' })
  @IsOptional()
  @IsBoolean()
  rotateSecret?: boolean;
}

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/;
const RESERVED_HEADER = /^(webhook-|host$|content-|connection$|transfer-encoding$)/i;
const MAX_HEADERS = 20;

/** A tenant's actuators: the HTTP endpoints recovery runs call, signed per Standard Webhooks. Admin only. */
@ApiTags('actuators')
@ApiBearerAuth()
@RequireRole('admin')
@Controller('actuators')
export class ActuatorsController {
  constructor(
    private readonly actuators: ActuatorRepository,
    private readonly box: SecretBox,
    private readonly egress: Egress,
    private readonly tx: TransactionHost,
    private readonly audit: AuditTrail,
  ) {}

  @ApiOperation({ summary: 'List actuators' })
  @Get()
  async list(@CurrentPrincipal() p: Principal) {
    return { items: (await this.actuators.list(p.tenantId)).map(actuatorView) };
  }

  @ApiOperation({ summary: 'Get an actuator' })
  @Get(':name')
  async get(@Param('name') name: string, @CurrentPrincipal() p: Principal) {
    const row = await this.actuators.find(p.tenantId, checkName(name));
    if (!row) throw new NotFoundException(`actuator ${name} not found`);
    return actuatorView(row);
  }

  /**
   * 201 with `secret` when created (or rotated, or replacing a stored secret this replica cannot
   * open: 200 with `secret`), and `headers` when given: the secret and the header values are never
   * shown again.
   */
  @ApiOperation({ summary: 'Create or replace an actuator' })
  @ApiCreatedResponse({ description: 'created: the answer carries its signing secret, this once' })
  @ApiOkResponse({
    description:
      'replaced (with the new secret when rotateSecret was set, or when the stored one could not be opened: SECRETS_KEY changed)',
  })
  @Put(':name')
  async put(
    @Param('name') name: string,
    @Body() body: PutActuatorDto,
    @CurrentPrincipal() p: Principal,
    @Res({ passthrough: true }) res: Response,
  ) {
    checkName(name);
    const headers = body.headers === undefined ? null : checkHeaders(body.headers);
    const refusal = await this.egress.refusal(body.url);
    if (refusal) throw invalidFields([{ field: 'url', errors: [`url ${refusal}`] }]);
    const secret = generateWebhookSecret();
    const secretSealed = this.box.seal(secret);
    const { row, created } = await this.tx.run(async () => {
      const before = await this.actuators.find(p.tenantId, name);
      const upserted = await this.actuators.upsert({
        tenantId: p.tenantId,
        name,
        url: body.url,
        headersSealed: headers && Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, this.box.seal(v)])),
        timeoutMs: body.timeoutMs ?? DEFAULT_STEP_TIMEOUT_MS,
        secretSealed,
        rotate: body.rotateSecret === true,
        // A stored secret this replica cannot open (SECRETS_KEY changed) fails every call: replaced, as a rotation.
        unopenedSecret: before && this.box.openOrNull(before.secret_sealed) === null ? before.secret_sealed : null,
      });
      const after = {
        ...audited(upserted.row),
        secretRotated: upserted.row.secret_sealed === secretSealed,
        headersReplaced: headers !== null,
        // The fingerprint masks the query's values, so a replaced token there is said in words.
        ...(before && { urlReplaced: before.url !== upserted.row.url }),
      };
      await this.audit.record({
        tenantId: p.tenantId,
        actor: actorOf(p),
        action: upserted.created ? 'actuator.created' : 'actuator.updated',
        subject: { type: 'actuator', id: name },
        before: before && audited(before),
        after,
      });
      return upserted;
    });
    res.status(created ? 201 : 200);
    return {
      ...actuatorView(row),
      url: row.url, // as sent, this once
      ...(headers ? { headers } : {}),
      // The secret stored (created, rotated or replacing one that could not be opened), this once.
      ...(row.secret_sealed === secretSealed ? { secret } : {}),
    };
  }

  @ApiOperation({ summary: 'Delete an actuator' })
  @Delete(':name')
  @HttpCode(204)
  async delete(@Param('name') name: string, @CurrentPrincipal() p: Principal): Promise<void> {
    await this.tx.run(async () => {
      const before = await this.actuators.find(p.tenantId, checkName(name));
      if (!before || !(await this.actuators.delete(p.tenantId, name))) {
        throw new NotFoundException(`actuator ${name} not found`);
      }
      await this.audit.record({
        tenantId: p.tenantId,
        actor: actorOf(p),
        action: 'actuator.deleted',
        subject: { type: 'actuator', id: name },
        before: audited(before),
      });
    });
  }
}

/** What the audit log keeps of an actuator: never its secret or header values, only their names; of its URL, auditedUrl. */
const audited = (r: ActuatorRow) => ({
  ...auditedUrl(r.url),
  headerNames: Object.keys(r.headers_sealed).sort(),
  timeoutMs: r.timeout_ms,
});

function checkName(name: string): string {
  if (!ACTUATOR_NAME_PATTERN.test(name))
    throw invalidFields([{ field: 'name', errors: [`name must match ${ACTUATOR_NAME_PATTERN}`] }]);
  return name;
}

function validHeaderValue(name: string, value: string): boolean {
  try {
    validateHeaderValue(name, value);
    return true;
  } catch {
    return false;
  }
}

function checkHeaders(headers: Record<string, unknown>): Record<string, string> {
  const entries = Object.entries(headers);
  if (entries.length > MAX_HEADERS)
    throw invalidFields([{ field: 'headers', errors: [`headers: at most ${MAX_HEADERS}`] }]);
  for (const [k, v] of entries) {
    if (!HEADER_NAME.test(k) || RESERVED_HEADER.test(k))
      throw invalidFields([{ field: `headers.${k}`, errors: ['not an allowed header name'] }]);
    if (typeof v !== 'string' || v.length > 4096 || /[\r\n\0]/.test(v))
      throw invalidFields([{ field: `headers.${k}`, errors: ['must be a single-line string'] }]);
    // What Node itself refuses to send (other control characters, anything above U+00FF): refused here,
    // not found out on every call.
    if (!validHeaderValue(k, v))
      throw invalidFields([
        { field: `headers.${k}`, errors: ['must hold only printable ASCII, tabs and Latin-1 characters'] },
      ]);
  }
  return headers as Record<string, string>;
}
