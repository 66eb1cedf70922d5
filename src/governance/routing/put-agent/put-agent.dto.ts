import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsNumber, Matches, Max, Min } from 'class-validator';
import { NAME_PATTERN } from '../../names.js';

export class PutAgentDto {
  @ApiProperty({
    type: [String],
    example: ['summarise', 'translate'],
    description: "replaces the agent's capabilities",
  })
  @IsArray()
  @ArrayMaxSize(200)
  @Matches(NAME_PATTERN, { each: true, message: 'each capability must be 1-128 letters, digits or ._:/- characters' })
  capabilities!: string[];

  @ApiProperty({ minimum: 0, maximum: 1, example: 0.9 })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  baseConfidence!: number;
}
