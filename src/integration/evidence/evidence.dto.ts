import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';

export const EVIDENCE_FORMATS = ['json', 'md'] as const;
export type EvidenceFormat = (typeof EVIDENCE_FORMATS)[number];

export class EvidenceQuery {
  @ApiProperty({
    required: false,
    enum: EVIDENCE_FORMATS,
    default: 'json',
    description: 'md: a Markdown attachment for a post-incident review',
  })
  @IsOptional()
  @IsIn(EVIDENCE_FORMATS, { message: `format must be one of ${EVIDENCE_FORMATS.join(', ')}` })
  format?: EvidenceFormat;
}
