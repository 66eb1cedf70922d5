import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { ApiKeyService } from './api-keys/api-key.service.js';
import { AuthThrottle, clientAddress } from './auth-throttle.js';
import { AGENT_ALLOWED, PLATFORM_ADMIN_ONLY, PUBLIC_ROUTE, REQUIRED_ROLE } from './auth.decorators.js';
import { bearerToken } from './bearer-token.js';
import { AGENT_ROLE, roleAtLeast, type Principal, type Role } from './principal.js';
import { SessionService, sessionTokenOf } from './sessions/session.service.js';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A write made with the session cookie must come from this origin: SameSite=Strict already keeps
 * the cookie off cross-site requests; this is the second lock (old browsers, same-site subdomains).
 */
function sameOrigin(request: Request): boolean {
  const source = request.headers.origin ?? request.headers.referer;
  if (!source) return false;
  try {
    return new URL(source).host === request.headers.host;
  } catch {
    return false;
  }
}

/** For a request made with the session cookie: 403 unless it is a read or comes from this origin. Sign-out asks too. */
export function checkCookieOrigin(request: Request): void {
  if (!READS.has(request.method) && !sameOrigin(request)) {
    throw new ForbiddenException('a write with the session cookie needs an Origin (or Referer) of this server');
  }
}

const AGENT_CONFINED = 'an agent key may only use the work-order routes (/patches/work-orders)';

/** Every route needs `Authorization: Bearer <apiKey>` or the console's session cookie unless it is @Public(). */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeyService,
    private readonly throttle: AuthThrottle,
    private readonly sessions: SessionService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const request = context.switchToHttp().getRequest<Request & { principal?: Principal }>();
    // Authenticated already by middleware that had to before reading the body (bootstrap.ts).
    const principal = request.principal ?? (await this.authenticate(request));
    request.principal = principal;

    if (this.reflector.getAllAndOverride<boolean>(PLATFORM_ADMIN_ONLY, targets) && !principal.platformAdmin) {
      throw new ForbiddenException('this needs a platform admin key');
    }
    if (principal.role === AGENT_ROLE) {
      if (this.reflector.getAllAndOverride<boolean>(AGENT_ALLOWED, targets)) return true;
      throw new ForbiddenException(AGENT_CONFINED);
    }
    const required =
      this.reflector.getAllAndOverride<Role>(REQUIRED_ROLE, targets) ??
      (READS.has(request.method) ? 'viewer' : 'operator');
    if (!roleAtLeast(principal.role, required)) {
      throw new ForbiddenException(`this needs the ${required} role; the key has ${principal.role}`);
    }
    return true;
  }

  /** For the API docs, plain Express routes outside this guard: any key's principal but an agent's (403). */
  async authenticateForDocs(request: Request): Promise<Principal> {
    const principal = await this.authenticate(request);
    if (principal.role === AGENT_ROLE) throw new ForbiddenException(AGENT_CONFINED);
    return principal;
  }

  /**
   * The caller's principal, or 401. A presented key or session that does not hold counts as a
   * failed guess of the client's address (429 past the limit, ADR 0007); no credential at all
   * does not, nor does a stale session when the console asks `GET /auth/session` whether it is
   * signed in. A credential that holds passes, whatever its address did before.
   */
  async authenticate(request: Request): Promise<Principal> {
    const header = request.headers.authorization;
    const token = header === undefined ? sessionTokenOf(request.headers.cookie) : null;
    if (token) {
      const principal = await this.sessions.authenticate(token);
      if (!principal) {
        const probe = request.method === 'GET' && request.path === SESSION_PATH;
        throw (
          (probe ? null : this.throttle.fail(clientAddress(request))) ??
          new UnauthorizedException('session expired or ended: sign in again')
        );
      }
      checkCookieOrigin(request);
      return principal;
    }
    if (header === undefined) throw new UnauthorizedException('missing API key: send Authorization: Bearer <apiKey>');
    const key = bearerToken(header);
    const principal = key ? await this.keys.authenticate(key) : null;
    if (!principal)
      throw (
        this.throttle.fail(clientAddress(request)) ??
        new UnauthorizedException(
          key ? 'unknown or revoked API key' : 'malformed Authorization header: send Bearer <apiKey>',
        )
      );
    return principal;
  }
}

/** The console's "am I signed in?" (SessionController). */
const SESSION_PATH = '/auth/session';
