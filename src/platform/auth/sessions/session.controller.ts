import { Body, Controller, Delete, Get, HttpCode, Post, Req, Res, UnauthorizedException } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { checkCookieOrigin } from '../api-key.guard.js';
import { AuthThrottle, clientAddress } from '../auth-throttle.js';
import { CurrentPrincipal, Public } from '../auth.decorators.js';
import type { Principal } from '../principal.js';
import { CreateSessionDto } from './session.dto.js';
import { SESSION_COOKIE, SessionService, sessionTokenOf } from './session.service.js';
import { SessionView, viewOf } from './session.view.js';

/** Secure when the request came over HTTPS (directly or through a proxy that says so). */
const secure = (req: Request) => req.secure || req.headers['x-forwarded-proto'] === 'https';

@ApiTags('auth')
@Controller('auth/session')
export class SessionController {
  constructor(
    private readonly sessions: SessionService,
    private readonly throttle: AuthThrottle,
  ) {}

  /**
   * Sign-in: the key travels in the body only, never in a URL; the cookie is HttpOnly and
   * SameSite=Strict. A wrong key is a failed guess of the client's address (429 past the limit);
   * a right one signs in whatever the address did before.
   */
  @ApiOperation({ summary: 'Sign in: exchange an API key for a session cookie' })
  @ApiCreatedResponse({ type: SessionView, description: 'signed in; the session cookie is set' })
  @ApiBadRequestResponse({ description: 'no apiKey in the body' })
  @ApiUnauthorizedResponse({ description: 'unknown or revoked API key' })
  @Public()
  @Post()
  @HttpCode(201)
  async create(@Body() body: CreateSessionDto, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const created = await this.sessions.create(body.apiKey);
    if (!created)
      throw this.throttle.fail(clientAddress(req)) ?? new UnauthorizedException('unknown or revoked API key');
    res.cookie(SESSION_COOKIE, created.token, {
      httpOnly: true,
      sameSite: 'strict',
      secure: secure(req),
      path: '/',
      expires: new Date(created.session.expiresAt!),
    });
    return created.session;
  }

  /** Who is signed in (the console asks this on load: a 401 here is an answer, not a failed sign-in). */
  @ApiOperation({ summary: 'The current console session' })
  @ApiOkResponse({ type: SessionView })
  @ApiUnauthorizedResponse({ description: 'not signed in' })
  @ApiCookieAuth()
  @ApiBearerAuth()
  @Get()
  current(@CurrentPrincipal() p: Principal & { expiresAt?: string }): SessionView {
    return { ...viewOf(p), expiresAt: p.expiresAt ?? null };
  }

  /**
   * Sign-out: the session is deleted server-side, so a copied cookie stops working too. Public (an
   * ended session may sign out), so the guard's Origin check for cookie writes is made here.
   */
  @ApiOperation({ summary: 'Sign out' })
  @ApiNoContentResponse({ description: 'signed out (or there was no session); the cookie is cleared' })
  @ApiForbiddenResponse({ description: 'the session cookie came without an Origin (or Referer) of this server' })
  @Public()
  @Delete()
  @HttpCode(204)
  async end(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    const token = sessionTokenOf(req.headers.cookie);
    if (token) {
      checkCookieOrigin(req);
      await this.sessions.end(token);
    }
    res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', secure: secure(req), path: '/' });
  }
}
