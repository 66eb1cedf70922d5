import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { UuidParam } from '../../http/uuid-param.js';
import { invalidFields } from '../../http/validation.js';
import { CurrentPrincipal, RequirePlatformAdmin } from '../auth.decorators.js';
import { actorOf, AGENT_ROLE, type Principal } from '../principal.js';
import { ApiKeyService } from './api-key.service.js';
import { CreateApiKeyDto } from './api-keys.dto.js';

@ApiTags('admin')
@ApiBearerAuth()
@RequirePlatformAdmin()
@Controller('admin/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeyService) {}

  /** The response carries the plaintext key; it cannot be shown again. */
  @ApiOperation({ summary: 'Create an API key (shown once)' })
  @Post()
  create(@Body() body: CreateApiKeyDto, @CurrentPrincipal() principal: Principal) {
    if (body.role === AGENT_ROLE && body.platformAdmin) {
      // An agent key is confined to work orders; platform administration would undo that.
      const errors = ['an agent key cannot be a platform admin'];
      throw invalidFields([{ field: 'platformAdmin', errors }]);
    }
    return this.keys.create({ ...body, platformAdmin: body.platformAdmin ?? false }, actorOf(principal));
  }

  @ApiOperation({ summary: 'List API keys' })
  @Get()
  async list() {
    return { items: await this.keys.list() };
  }

  @ApiOperation({ summary: 'Revoke an API key' })
  @Delete(':id')
  @HttpCode(204)
  async revoke(@Param('id', UuidParam) id: string, @CurrentPrincipal() principal: Principal): Promise<void> {
    await this.keys.revoke(id, actorOf(principal));
  }
}
