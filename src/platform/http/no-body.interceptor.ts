import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor, type Type } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import type { Request } from 'express';
import type { Observable } from 'rxjs';
import { invalidFields } from './validation.js';

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Parameters through which a handler reads the body: @Body(), or the request itself (the few that read it their own way). */
const BODY_READERS = new Set<number>([RouteParamtypes.BODY, RouteParamtypes.RAW_BODY, RouteParamtypes.REQUEST]);

/** What a body sends: its fields, or `body` for one that is not an object; none for no body or `{}`. */
export function sentFields(body: unknown): string[] {
  if (body === undefined || body === null || body === '') return [];
  if (typeof body !== 'object' || Array.isArray(body)) return ['body'];
  return Object.keys(body);
}

/**
 * A write route that takes no body refuses one, 400 naming what was sent, rather than drop it: a
 * `reason` sent to POST /runs/:id/cancel, or `params` to a dry run, would otherwise look applied.
 */
@Injectable()
export class NoBodyInterceptor implements NestInterceptor {
  /** Per controller class, per handler: whether it reads the body. */
  private readonly readsBody = new WeakMap<Type, Map<string, boolean>>();

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<Request>();
    if (!WRITES.has(req.method)) return next.handle();
    const sent = sentFields(req.body);
    if (sent.length > 0 && !this.handlerReadsBody(context.getClass(), context.getHandler().name))
      throw invalidFields(
        sent.map((field) => ({ field, errors: [`${field} is not accepted: this route takes no body`] })),
      );
    return next.handle();
  }

  private handlerReadsBody(controller: Type, handler: string): boolean {
    let handlers = this.readsBody.get(controller);
    if (!handlers) this.readsBody.set(controller, (handlers = new Map()));
    let reads = handlers.get(handler);
    if (reads === undefined) {
      // Keys are `<paramtype>:<index>` (custom decorators: `<id>__customRouteArgs__:<index>`).
      const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, handler) ?? {}) as Record<string, unknown>;
      reads = Object.keys(args).some((k) => BODY_READERS.has(Number(k.split(':')[0])));
      handlers.set(handler, reads);
    }
    return reads;
  }
}
