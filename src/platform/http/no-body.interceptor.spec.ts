import { describe, expect, it } from '@jest/globals';
import { Body, type ExecutionContext, Param, Req } from '@nestjs/common';
import { of } from 'rxjs';
import { CurrentPrincipal } from '../auth/auth.decorators.js';
import { NoBodyInterceptor, sentFields } from './no-body.interceptor.js';

class Routes {
  withBody(@Body() _body: unknown) {}
  withRequest(@Req() _req: unknown) {}
  withoutBody(@Param('id') _id: string, @CurrentPrincipal() _p: unknown) {}
}

const contextOf = (handler: keyof Routes, method: string, body: unknown) =>
  ({
    getType: () => 'http',
    getClass: () => Routes,
    getHandler: () => Routes.prototype[handler],
    switchToHttp: () => ({ getRequest: () => ({ method, body }) }),
  }) as unknown as ExecutionContext;

describe('NoBodyInterceptor', () => {
  const interceptor = new NoBodyInterceptor();
  const next = { handle: () => of('handled') };
  const run = (handler: keyof Routes, method: string, body: unknown) => () =>
    interceptor.intercept(contextOf(handler, method, body), next);

  it('refuses a body sent to a write route that reads none, naming what was sent', () => {
    expect(run('withoutBody', 'POST', { note: 'x', reason: 'y' })).toThrow(/invalid fields: note, reason/);
    expect(run('withoutBody', 'DELETE', ['x'])).toThrow(/invalid fields: body/);
  });

  it('lets through a route that reads the body or the request, no body or {}, and reads', () => {
    for (const [handler, method, body] of [
      ['withBody', 'POST', { note: 'x' }],
      ['withRequest', 'DELETE', { agentId: 'a' }],
      ['withoutBody', 'POST', {}],
      ['withoutBody', 'POST', undefined],
      ['withoutBody', 'GET', { q: 1 }],
    ] as const)
      expect(run(handler, method, body)).not.toThrow();
  });

  it('counts as sent: the fields of an object, else the body itself', () => {
    expect(sentFields({ a: 1, b: 2 })).toEqual(['a', 'b']);
    expect(sentFields('text')).toEqual(['body']);
    expect(sentFields([])).toEqual(['body']);
    expect(sentFields({})).toEqual([]);
    expect(sentFields(undefined)).toEqual([]);
  });
});
