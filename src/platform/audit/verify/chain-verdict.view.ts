import { ApiProperty } from '@nestjs/swagger';
import type { ChainVerdict } from '../chain/verify-chain.js';

/** `GET /audit/verify`'s answer, as the OpenAPI document describes it. */
export class ChainVerdictView implements ChainVerdict {
  @ApiProperty() ok!: boolean;
  @ApiProperty({ description: 'entries checked (up to the first broken one)' }) entries!: number;
  @ApiProperty({ description: 'checkpoints whose signature verified and whose hash matched its entry' })
  checkpoints!: number;
  @ApiProperty({ required: false, description: 'the first sequence number that can no longer be trusted' })
  firstBrokenSeq?: number;
  @ApiProperty({ required: false, description: 'why it is broken' }) problem?: string;
}
