import { Body, Controller, Get, Module, NotFoundException, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequireRole } from '../../src/platform/auth/auth.decorators.js';
import type { Principal } from '../../src/platform/auth/principal.js';
import { TransactionHost } from '../../src/platform/database/transaction-host.js';

/**
 * Test-only routes, mounted in the isolation test's app to prove its route walker: three make
 * the mistakes it must catch, one is right. They read the real incidents table.
 */
@ApiTags('isolation-probe')
@ApiBearerAuth()
@Controller('isolation-probe')
export class LeakyProbeController {
  constructor(private readonly tx: TransactionHost) {}

  /** Wrong: forgets the tenant, so another tenant's incident is found. */
  @Get('incidents/:id')
  async unscoped(@Param('id', new ParseUUIDPipe()) id: string) {
    const [row] = await this.tx.query(`SELECT id, message FROM incidents WHERE id = $1`, [id]);
    if (!row) throw new NotFoundException(`incident ${id} not found`);
    return row;
  }

  /** Right: the same read, scoped. */
  @Get('incidents/:id/scoped')
  async scoped(@Param('id', new ParseUUIDPipe()) id: string, @CurrentPrincipal() p: Principal) {
    const [row] = await this.tx.query(`SELECT id, message FROM incidents WHERE id = $1 AND tenant_id = $2`, [
      id,
      p.tenantId,
    ]);
    if (!row) throw new NotFoundException(`incident ${id} not found`);
    return row;
  }

  /** Wrong: a list of every tenant's newest incidents. */
  @Get('recent')
  recent() {
    return this.tx.query(`SELECT id FROM incidents ORDER BY created_at DESC LIMIT 20`);
  }

  /** Wrong: a write a viewer may make (scoped, but below the operator role writes need). */
  @Post('incidents/:id/notes')
  @RequireRole('viewer')
  async note(@Param('id', new ParseUUIDPipe()) id: string, @Body() _body: unknown, @CurrentPrincipal() p: Principal) {
    const [row] = await this.tx.query(`SELECT id FROM incidents WHERE id = $1 AND tenant_id = $2`, [id, p.tenantId]);
    if (!row) throw new NotFoundException(`incident ${id} not found`);
    return { noted: true };
  }
}

@Module({ controllers: [LeakyProbeController] })
export class LeakyProbeModule {}
