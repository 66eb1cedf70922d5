import { ApiProperty } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { CHANNEL_TYPES, type ChannelType } from '../channel.view.js';

export const DEFAULT_CHANNEL_TIMEOUT_MS = 10_000;

/** `PUT /notifications/channels/:name`. */
export class PutChannelDto {
  @ApiProperty({
    enum: CHANNEL_TYPES,
    example: 'webhook',
    description: 'slack: an incoming webhook (Block Kit); webhook: a JSON POST signed per Standard Webhooks',
  })
  @IsIn(CHANNEL_TYPES)
  type!: ChannelType;

  @ApiProperty({
    example: 'https://ops.example.com/hooks/pillar-loop',
    description:
      'http(s), without user:password@; a public address unless the platform operator opened its network with ' +
      'ACTUATOR_ALLOW_NETWORKS. A Slack URL is a secret: stored sealed, shown masked',
  })
  @IsString()
  @MaxLength(2048)
  url!: string;

  @ApiProperty({ required: false, default: DEFAULT_CHANNEL_TIMEOUT_MS, minimum: 100, maximum: 60_000 })
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(60_000)
  timeoutMs?: number;

  @ApiProperty({ required: false, description: 'webhook: generate a new signing secret (shown once in the answer)' })
  @IsOptional()
  @IsBoolean()
  rotateSecret?: boolean;
}
