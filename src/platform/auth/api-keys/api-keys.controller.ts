import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { RequirePlatformAdmin } from '../auth.decorators.js';
import { CreateApiKeyDto } from './api-keys.dto.js';
import { ApiKeyService } from './api-key.service.js';

@ApiTags('admin')
@ApiBearerAuth()
@RequirePlatformAdmin()
@Controller('admin/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeyService) {}

  /** The response carries the plaintext key; it cannot be shown again. */
  @Post()
  create(@Body() body: CreateApiKeyDto) {
    return this.keys.create({ ...body, platformAdmin: body.platformAdmin ?? false });
  }

  @Get()
  async list() {
    return { items: await this.keys.list() };
  }

  @Delete(':id')
  @HttpCode(204)
  async revoke(@Param('id', new ParseUUIDPipe()) id: string): Promise<void> {
    await this.keys.revoke(id);
  }
}
