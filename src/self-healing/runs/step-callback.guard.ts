import { type CanActivate, type ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import type { Request } from 'express';
import { bearerToken } from '../../platform/auth/bearer-token.js';
import { StepCallbackTokens } from './engine/step-callback-tokens.js';

/**
 * An actuator's late result authenticates with its step's callback token. Guards run before the
 * body is validated, so a caller without the token learns nothing of what a result must hold.
 */
@Injectable()
export class StepCallbackGuard implements CanActivate {
  constructor(private readonly tokens: StepCallbackTokens) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    const token = bearerToken(req.headers.authorization);
    if (!token)
      throw new UnauthorizedException('a step result needs the callback token: Authorization: Bearer <callback.token>');
    if (this.tokens.callOf(String(req.params.id), String(req.params.stepId), token) === null)
      throw new UnauthorizedException('unknown run or step, or a wrong callback token');
    return true;
  }
}
