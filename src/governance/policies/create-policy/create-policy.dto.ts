import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, registerDecorator, type ValidationArguments } from 'class-validator';
import { validateCondition } from '../cel.js';
import type { PolicyAction, PolicyCategory, PolicyScope } from '../policy-generator.js';
import { POLICY_ACTIONS, POLICY_CATEGORIES, POLICY_SCOPES } from '../policy.view.js';

const AGENT_ID = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;
export const MANUAL_POLICY_STATUSES = ['draft', 'active'] as const;

/** A CEL condition that parses and type-checks (see cel.ts); the error is the parser's message. */
function IsCelCondition(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isCelCondition',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        // Non-strings are left to @IsString.
        validate: (value: unknown) => typeof value !== 'string' || validateCondition(value).ok,
        defaultMessage: (args?: ValidationArguments) => {
          const result = validateCondition(args?.value as string);
          return result.ok ? 'invalid condition' : result.error;
        },
      },
    });
}

/** scopeAgentId is required when scope is 'agent', forbidden otherwise, and must be an agent id. */
function IsScopeAgentId(): PropertyDecorator {
  const problem = (value: unknown, scope: unknown): string | null => {
    const given = value !== undefined && value !== null;
    if (scope === 'agent' && !given) return 'scopeAgentId is required when scope is agent';
    if (scope !== 'agent' && given) return 'scopeAgentId is only allowed when scope is agent';
    if (given && (typeof value !== 'string' || !AGENT_ID.test(value))) {
      return 'scopeAgentId must be 1-128 letters, digits or ._:/- characters';
    }
    return null;
  };
  return (target, propertyName) =>
    registerDecorator({
      name: 'isScopeAgentId',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (value: unknown, args?: ValidationArguments) =>
          problem(value, (args?.object as CreatePolicyDto)?.scope) === null,
        defaultMessage: (args?: ValidationArguments) =>
          problem(args?.value, (args?.object as CreatePolicyDto)?.scope) ?? 'invalid scopeAgentId',
      },
    });
}

export class CreatePolicyDto {
  @ApiProperty({ example: 'Block agent-007 for summarise' })
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiProperty({ required: false, default: '' })
  @IsOptional()
  @IsString()
  @Length(0, 4000)
  description?: string;

  @ApiProperty({ enum: POLICY_CATEGORIES })
  @IsIn(POLICY_CATEGORIES)
  category!: PolicyCategory;

  @ApiProperty({ enum: POLICY_ACTIONS })
  @IsIn(POLICY_ACTIONS)
  action!: PolicyAction;

  @ApiProperty({ enum: POLICY_SCOPES, description: "'global' needs a platform admin key" })
  @IsIn(POLICY_SCOPES)
  scope!: PolicyScope;

  @ApiProperty({ required: false, nullable: true, description: 'required iff scope is agent', example: 'agent-007' })
  @IsScopeAgentId()
  scopeAgentId?: string | null;

  @ApiProperty({
    description: 'CEL over request.agentId, request.capability, request.tenantId, request.context.*',
    example: 'request.agentId == "agent-007" && request.capability == "summarise"',
  })
  @IsString()
  @IsCelCondition()
  condition!: string;

  @ApiProperty({ required: false, enum: MANUAL_POLICY_STATUSES, default: 'draft' })
  @IsOptional()
  @IsIn(MANUAL_POLICY_STATUSES)
  status?: (typeof MANUAL_POLICY_STATUSES)[number];
}
