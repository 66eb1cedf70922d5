import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { MAX_CONDITION_LENGTH } from '../cel.js';

export class ValidateConditionDto {
  @ApiProperty({ example: 'request.agentId == "agent-7"' })
  @IsString()
  @MaxLength(MAX_CONDITION_LENGTH)
  condition!: string;
}
