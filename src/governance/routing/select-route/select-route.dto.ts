import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsOptional, Matches } from 'class-validator';
import { NAME_PATTERN, nameMessage } from '../../names.js';
import { IsPolicyContext } from '../../policies/evaluate-policies/policy-context.js';

export class SelectRouteDto {
  @ApiProperty({ example: 'summarise' })
  @Matches(NAME_PATTERN, { message: nameMessage('capability') })
  capability!: string;

  @ApiProperty({
    required: false,
    type: [String],
    description:
      "default: the tenant's registered agents with the capability; named agents are registered (with the capability) if needed",
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @Matches(NAME_PATTERN, { each: true, message: 'each candidate must be 1-128 letters, digits or ._:/- characters' })
  candidates?: string[];

  @ApiProperty({
    required: false,
    type: Object,
    additionalProperties: true,
    description: 'request.context for the policy conditions',
  })
  @IsOptional()
  @IsPolicyContext()
  context?: Record<string, unknown>;
}
