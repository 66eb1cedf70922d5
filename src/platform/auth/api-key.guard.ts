import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { ApiKeyService } from './api-keys/api-key.service.js';
import { AuthThrottle } from './auth-throttle.js';
import { PLATFORM_ADMIN_ONLY, PUBLIC_ROUTE, REQUIRED_ROLE } from './auth.decorators.js';
import { roleAtLeast, type Principal, type Role } from './principal.js';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Every route needs `Authorization: Bearer <apiKey>` unless it is @Public(). */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeyService,
    private readonly throttle: AuthThrottle,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const request = context.switchToHttp().getRequest<Request & { principal?: Principal }>();
    const principal = await this.authenticate(request);
    request.principal = principal;

    if (this.reflector.getAllAndOverride<boolean>(PLATFORM_ADMIN_ONLY, targets) && !principal.platformAdmin) {
      throw new ForbiddenException('this needs a platform admin key');
    }
    const required =
      this.reflector.getAllAndOverride<Role>(REQUIRED_ROLE, targets) ?? (READS.has(request.method) ? 'viewer' : 'operator');
    if (!roleAtLeast(principal.role, required)) {
      throw new ForbiddenException(`this needs the ${required} role; the key has ${principal.role}`);
    }
    return true;
  }

  /** The key's principal, or 401; failures are counted per client address (429 past the limit). */
  async authenticate(request: Request): Promise<Principal> {
    const address = request.ip ?? request.socket.remoteAddress ?? 'unknown';
    this.throttle.check(address);
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    const principal = match ? await this.keys.authenticate(match[1]) : null;
    if (principal) return principal;
    this.throttle.fail(address);
    throw new UnauthorizedException(match ? 'unknown or revoked API key' : 'missing API key: send Authorization: Bearer <apiKey>');
  }
}
