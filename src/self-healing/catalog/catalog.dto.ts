import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsNumber, IsObject, IsOptional, IsString, Length, Max, Min, ValidateNested } from 'class-validator';
import { PageQuery } from '../../platform/http/page-query.js';

export class RecoveryTemplateDto {
  @ApiProperty({ example: 'retry_with_backoff', description: 'a playbook id from config/playbooks.json' })
  @IsString()
  @Length(1, 128)
  playbookId!: string;

  @ApiProperty({ required: false, type: Object, additionalProperties: true })
  @IsOptional()
  @IsObject()
  params?: Record<string, unknown>;

  @ApiProperty({
    required: false,
    minimum: 0,
    maximum: 1,
    description: 'used until the pattern has reviewed recoveries',
  })
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(1)
  confidence?: number;
}

export class UpdatePatternDto {
  @ApiProperty({ required: false, type: RecoveryTemplateDto, nullable: true, description: 'null removes the template' })
  @IsOptional()
  @ValidateNested()
  @Type(() => RecoveryTemplateDto)
  recoveryTemplate?: RecoveryTemplateDto | null;

  @ApiProperty({ required: false })
  @IsOptional()
  @IsBoolean()
  autoApplyRecovery?: boolean;
}

export class MatchRequestDto {
  @ApiProperty({ example: 'timeout' })
  @IsString()
  @Length(1, 128)
  errorType!: string;

  @ApiProperty({ example: 'upstream 10.0.0.7 timed out after 30000 ms' })
  @IsString()
  @Length(1, 16_384)
  message!: string;
}

export class ListPatternsQuery extends PageQuery {
  @ApiProperty({ required: false }) @IsOptional() @IsString() errorType?: string;
}
