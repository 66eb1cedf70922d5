import { ApiProperty } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  IsUUID,
  Length,
  Max,
  Min,
} from 'class-validator';
import { PageQuery } from '../../platform/http/page-query.js';
import { RUN_STATUSES } from '../runs/run.view.js';
import { WORK_ORDER_STATUSES } from './work-order.view.js';

export class ListWorkOrdersQuery extends PageQuery {
  @ApiProperty({ required: false, enum: WORK_ORDER_STATUSES }) @IsOptional() @IsIn(WORK_ORDER_STATUSES) status?: string;
  @ApiProperty({ required: false }) @IsOptional() @IsUUID() runId?: string;
}

/** Progress, complete and fail name the claim they report under: the token their claim returned. */
class ClaimantDto {
  @ApiProperty({
    required: false,
    description: 'the claimToken POST …/claim returned; without the current one the answer is 409',
  })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  claimToken?: string;
}

export class ProgressDto extends ClaimantDto {
  @ApiProperty({ example: 'reproduced the timeout; writing the fix' }) @IsString() @Length(1, 2000) note!: string;
  @ApiProperty({ required: false, minimum: 0, maximum: 100 }) @IsOptional() @IsInt() @Min(0) @Max(100) percent?: number;
}

export class CompleteDto extends ClaimantDto {
  @ApiProperty() @IsBoolean() testsPassed!: boolean;
  @ApiProperty({ type: [String], required: false, example: ['src/pipeline/runner.ts'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(500)
  @IsString({ each: true })
  @Length(1, 500, { each: true })
  filesChanged?: string[];
  @ApiProperty({ required: false, example: 'https://git.example.com/acme/app/pull/42' })
  @IsOptional()
  // Kept in the order, its history, the timeline and the hash-chained audit log: never a credential.
  @IsUrl(
    { protocols: ['http', 'https'], require_protocol: true, require_tld: false, disallow_auth: true },
    { message: 'diffUrl must be an http(s) URL without credentials' },
  )
  @Length(1, 2000)
  diffUrl?: string;
  @ApiProperty({ example: 'raised the pipeline stage timeout and batched the slow query' })
  @IsString()
  @Length(1, 4000)
  summary!: string;
}

export class ReasonDto {
  @ApiProperty({ example: 'the failing test needs a schema change I may not make' })
  @IsString()
  @Length(1, 2000)
  reason!: string;
}

export class FailDto extends ClaimantDto {
  @ApiProperty({ example: 'the failing test needs a schema change I may not make' })
  @IsString()
  @Length(1, 2000)
  reason!: string;
}

export class TriggerDto {
  @ApiProperty({ example: 'nightly pipeline stage build timed out after 900 s' })
  @IsString()
  @Length(1, 4000)
  description!: string;
  @ApiProperty({ example: 'pipeline_timeout', description: 'chooses the playbook, as for incidents' })
  @IsString()
  @Length(1, 128)
  errorType!: string;
  @ApiProperty({ required: false, example: 'src/pipeline/runner.ts' })
  @IsOptional()
  @IsString()
  @Length(1, 500)
  filePath?: string;
  @ApiProperty({
    required: false,
    default: false,
    description: 'answer the plan (200) without starting or calling anything',
  })
  @IsOptional()
  @IsBoolean()
  dryRun?: boolean;
}

export class ListPatchRunsQuery extends PageQuery {
  @ApiProperty({ required: false, enum: RUN_STATUSES }) @IsOptional() @IsIn(RUN_STATUSES) status?: string;
}
