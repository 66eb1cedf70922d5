import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { ApiKeyService } from './api-keys/api-key.service.js';
import { AGENT_ALLOWED, PLATFORM_ADMIN_ONLY, PUBLIC_ROUTE, REQUIRED_ROLE } from './auth.decorators.js';
import { AGENT_ROLE, roleAtLeast, type Principal, type Role } from './principal.js';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Every route needs `Authorization: Bearer <apiKey>` unless it is @Public(). */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeyService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const request = context.switchToHttp().getRequest<Request & { principal?: Principal }>();
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new UnauthorizedException('missing API key: send Authorization: Bearer <apiKey>');
    const principal = await this.keys.authenticate(match[1]);
    if (!principal) throw new UnauthorizedException('unknown or revoked API key');
    request.principal = principal;

    if (this.reflector.getAllAndOverride<boolean>(PLATFORM_ADMIN_ONLY, targets) && !principal.platformAdmin) {
      throw new ForbiddenException('this needs a platform admin key');
    }
    if (principal.role === AGENT_ROLE) {
      if (this.reflector.getAllAndOverride<boolean>(AGENT_ALLOWED, targets)) return true;
      throw new ForbiddenException('an agent key may only use the work-order routes (/patches/work-orders)');
    }
    const required =
      this.reflector.getAllAndOverride<Role>(REQUIRED_ROLE, targets) ?? (READS.has(request.method) ? 'viewer' : 'operator');
    if (!roleAtLeast(principal.role, required)) {
      throw new ForbiddenException(`this needs the ${required} role; the key has ${principal.role}`);
    }
    return true;
  }
}
