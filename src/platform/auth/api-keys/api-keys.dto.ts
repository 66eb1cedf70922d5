import { ApiProperty } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import { KEY_ROLES, type Role } from '../principal.js';

export class CreateApiKeyDto {
  @ApiProperty({ example: 'acme' })
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9_-]{0,62}$/, { message: 'tenantId must be 1-63 lower-case letters, digits, - or _' })
  tenantId!: string;

  @ApiProperty({ example: 'console read-only' })
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiProperty({ enum: KEY_ROLES, description: 'viewer < operator < admin; agent: work orders only' })
  @IsIn(KEY_ROLES)
  role!: Role;

  @ApiProperty({ required: false, default: false })
  @IsOptional()
  @IsBoolean()
  platformAdmin?: boolean;
}
