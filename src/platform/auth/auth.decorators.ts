import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiSecurity } from '@nestjs/swagger';
import type { Principal, Role } from './principal.js';

export const PUBLIC_ROUTE = 'pillar-loop:public';
export const REQUIRED_ROLE = 'pillar-loop:role';
export const PLATFORM_ADMIN_ONLY = 'pillar-loop:platform-admin';
export const AGENT_ALLOWED = 'pillar-loop:agent-allowed';

/** No API key needed (health probes); the OpenAPI document says so (`security: [{}]`, anonymous allowed). */
export const Public = () => applyDecorators(SetMetadata(PUBLIC_ROUTE, true), ApiSecurity({}));
/** Minimum role; without it reads need `viewer` and writes need `operator`. */
export const RequireRole = (role: Role) => SetMetadata(REQUIRED_ROLE, role);
export const RequirePlatformAdmin = () => SetMetadata(PLATFORM_ADMIN_ONLY, true);
/** A key with role `agent` may call this route too (every other route refuses it). */
export const AllowAgent = () => SetMetadata(AGENT_ALLOWED, true);

export const CurrentPrincipal = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Principal => ctx.switchToHttp().getRequest().principal,
);
