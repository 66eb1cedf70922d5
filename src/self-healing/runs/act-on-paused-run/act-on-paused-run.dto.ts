import { ApiProperty } from '@nestjs/swagger';
import { IsObject, IsOptional } from 'class-validator';

export class RetryStepDto {
  @ApiProperty({
    required: false,
    example: { factor: 0.75 },
    description: "corrected values of the step's own parameters, merged over them; other names are refused",
  })
  @IsOptional()
  @IsObject()
  params?: Record<string, unknown>;
}
