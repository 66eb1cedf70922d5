import { ApiProperty } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { PageQuery } from '../../platform/http/page-query.js';

/** The filters recoveries and runs share: which incident, pattern, agent, capability and playbook a fix is for. */
export class FixScopeQuery extends PageQuery {
  @ApiProperty({ required: false }) @IsOptional() @IsUUID() incidentId?: string;
  @ApiProperty({ required: false }) @IsOptional() @IsUUID() patternId?: string;
  @ApiProperty({ required: false }) @IsOptional() @IsString() @Length(1, 200) agentId?: string;
  @ApiProperty({ required: false }) @IsOptional() @IsString() @Length(1, 200) capability?: string;
  @ApiProperty({ required: false }) @IsOptional() @IsString() @Length(1, 200) playbookId?: string;
}
