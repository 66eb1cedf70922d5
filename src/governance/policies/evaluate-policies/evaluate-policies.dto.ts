import { ApiProperty } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import { NAME_PATTERN, nameMessage } from '../../names.js';
import { IsPolicyContext } from './policy-context.js';

export class EvaluatePoliciesDto {
  @ApiProperty({
    required: false,
    example: 'agent-007',
    description: 'selects the agent-scoped policies; request.agentId',
  })
  @IsOptional()
  @Matches(NAME_PATTERN, { message: nameMessage('agentId') })
  agentId?: string;

  @ApiProperty({ required: false, example: 'summarise', description: 'request.capability' })
  @IsOptional()
  @Matches(NAME_PATTERN, { message: nameMessage('capability') })
  capability?: string;

  @ApiProperty({ required: false, type: Object, additionalProperties: true, description: 'request.context' })
  @IsOptional()
  @IsPolicyContext()
  context?: Record<string, unknown>;
}
