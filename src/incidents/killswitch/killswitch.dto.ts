import { ApiProperty } from '@nestjs/swagger';
import { IsOptional, IsString, Length, Matches } from 'class-validator';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;
const AGENT_MESSAGE = 'agentId must be 1-128 letters, digits or ._:/- characters';
const NOT_BLANK = /\S/;

/** `POST /guard/killswitch`. */
export class ActivateKillSwitchDto {
  @ApiProperty({
    required: false,
    example: 'agent-7',
    description: 'one agent; leave out to switch off the whole tenant',
  })
  @IsOptional()
  @Matches(NAME, { message: AGENT_MESSAGE })
  agentId?: string;

  @ApiProperty({ example: 'agent is sending duplicate refunds', minLength: 1, maxLength: 1000 })
  @IsString()
  @Length(1, 1000)
  @Matches(NOT_BLANK, { message: 'reason must not be blank' })
  reason!: string;
}

/** `DELETE /guard/killswitch?agentId=&reason=`. */
export class DeactivateKillSwitchQuery {
  @ApiProperty({ required: false, example: 'agent-7', description: 'one agent; leave out for the tenant switch' })
  @IsOptional()
  @Matches(NAME, { message: AGENT_MESSAGE })
  agentId?: string;

  @ApiProperty({ required: false, example: 'duplicate refunds fixed in 2.4.1', minLength: 1, maxLength: 1000 })
  @IsOptional()
  @IsString()
  @Length(1, 1000)
  @Matches(NOT_BLANK, { message: 'reason must not be blank' })
  reason?: string;
}
