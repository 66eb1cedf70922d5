import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsObject, IsOptional, IsString, IsUUID, Length, Matches } from 'class-validator';
import { IsCalendarDate } from '../../platform/http/validation.js';
import { FixScopeQuery } from '../recovery/fix-scope.dto.js';
import { RUN_STATUSES } from './run.view.js';

export class ListRunsQuery extends FixScopeQuery {
  @ApiProperty({ required: false, enum: RUN_STATUSES }) @IsOptional() @IsIn(RUN_STATUSES) status?: string;
  @ApiProperty({
    required: false,
    enum: ['automatic', 'manual'],
    description: 'automatic: auto-applied; manual: started by a person',
  })
  @IsOptional()
  @IsIn(['automatic', 'manual'])
  trigger?: 'automatic' | 'manual';
  @ApiProperty({ required: false, description: 'created at or after (ISO 8601)' })
  @IsOptional()
  @IsCalendarDate()
  since?: string;
  @ApiProperty({ required: false, description: 'created before (ISO 8601)' })
  @IsOptional()
  @IsCalendarDate()
  until?: string;
}

export class CompleteStepDto {
  @ApiProperty({ enum: ['succeeded', 'failed'] }) @IsIn(['succeeded', 'failed']) outcome!: 'succeeded' | 'failed';
  @ApiProperty({ required: false, example: 'restarted the worker by hand' })
  @IsOptional()
  @IsString()
  @Length(1, 2000)
  note?: string;
  @ApiProperty({
    required: false,
    description: 'What was found, for later steps to branch on (`steps.<id>.output.body`), e.g. {"cause": "code"}',
  })
  @IsOptional()
  @IsObject()
  output?: Record<string, unknown>;
}

export class StepResultDto {
  @ApiProperty({ enum: ['succeeded', 'failed'] }) @IsIn(['succeeded', 'failed']) outcome!: 'succeeded' | 'failed';
  @ApiProperty({
    required: false,
    description: 'The result; a check step judges it with its condition as `response.body`',
  })
  @IsOptional()
  @IsObject()
  output?: Record<string, unknown>;
  @ApiProperty({ required: false }) @IsOptional() @IsString() @Length(1, 2000) error?: string;
}

/** Step ids are snake_case (playbook validation); anything else names no step. */
export const STEP_ID = /^[a-z][a-z0-9_]{0,62}$/;
export class StepParams {
  @ApiProperty({ format: 'uuid', description: 'the run' }) @IsUUID() id!: string;
  @ApiProperty({ pattern: STEP_ID.source, description: "a step id of the run's playbook" })
  @Matches(STEP_ID, { message: 'stepId must be a playbook step id (snake_case)' })
  stepId!: string;
}
