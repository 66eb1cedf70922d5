import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';

export class CreateSessionDto {
  @ApiProperty({ description: 'an API key; exchanged for an HttpOnly session cookie' })
  @IsString()
  @Length(1, 512)
  apiKey!: string;
}
