import type { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import { openApiDocument } from './openapi/openapi-document.js';
import { ApiKeyGuard } from './platform/auth/api-key.guard.js';
import type { Principal } from './platform/auth/principal.js';
import type { AppConfig } from './platform/config/config.js';
import { serveConsole } from './platform/console/serve-console.js';
import { secretBoxOf } from './platform/crypto/secret-box.js';
import { runMigrations } from './platform/database/migrate.js';
import { resolveDatabase, type ResolvedDatabase, type StartLog } from './platform/database/resolve-database.js';
import { Egress } from './platform/egress/egress.js';
import { HealthController } from './platform/health/health.controller.js';
import { isIntakeRoute, jsonBodyParser } from './platform/http/body-limits.js';
import { bodyParserErrorHandler, HttpExceptionFilter } from './platform/http/http-exception.filter.js';
import { inputGuard } from './platform/http/input-guard.js';
import { NoBodyInterceptor } from './platform/http/no-body.interceptor.js';
import { ServiceLogger } from './platform/http/service-logger.js';
import { validationPipe } from './platform/http/validation.js';
import { MetricsService } from './platform/metrics/metrics.service.js';
import { checkPlaybookCatalogPath } from './self-healing/playbooks.provider.js';

export interface RunningApp {
  app: INestApplication;
  database: ResolvedDatabase;
  url: string;
  /** Graceful: stop claiming, finish in-flight handlers, close HTTP, then stop the embedded database. */
  close(): Promise<void>;
}

/**
 * Starts the database (embedded unless DATABASE_URL), migrates, and serves. Used by main.ts and the tests.
 * Configuration that names a file (PLAYBOOK_CATALOG_PATH) is checked first: a ConfigError before any database.
 */
export async function startApp(
  config: AppConfig,
  log: StartLog = () => {},
  extraModules: Type[] = [],
): Promise<RunningApp> {
  checkPlaybookCatalogPath(config);
  const database = await resolveDatabase(config, log);
  let created: NestExpressApplication | undefined;
  try {
    const applied = await runMigrations(database.url, { secretBox: () => secretBoxOf(config) });
    if (applied.length) log(`applied migrations: ${applied.join(', ')}`);
    const app = await NestFactory.create<NestExpressApplication>(
      AppModule.forRoot(config, database.url, extraModules),
      { bufferLogs: true, bodyParser: false },
    );
    created = app;
    app.useLogger(new ServiceLogger(app.get(Logger)));
    // The client address (auth throttling, logs) is the socket's unless TRUST_PROXY names the proxies in front.
    app.set('trust proxy', config.trustProxy);
    const metrics = app.get(MetricsService);
    app.use((req: Request, res: Response, next: NextFunction) => {
      const end = metrics.httpDuration.startTimer();
      res.once('finish', () =>
        end({ method: req.method, route: req.route?.path ?? 'unmatched', status: String(res.statusCode) }),
      );
      next();
    });
    // Security headers (nosniff, frame denial, …); answers carry tenant data, so no cache keeps them.
    // Scripts only from this origin: the console and Swagger UI load theirs as files, none inline.
    app.use(helmet({ contentSecurityPolicy: { useDefaults: true, directives: { 'script-src': ["'self'"] } } }));
    app.use((_req: Request, res: Response, next: NextFunction) => {
      res.setHeader('Cache-Control', 'no-store');
      next();
    });
    // Plain Express middleware runs before Nest's guards: a route whose middleware must not serve a
    // stranger authenticates here first, answering as the guard would (401/403/429); the guard then
    // takes the principal found here rather than looking the key up again.
    const guard = app.get(ApiKeyGuard);
    const filter = new HttpExceptionFilter();
    const authenticatedFirst =
      (applies: (req: Request) => boolean, authenticate: (req: Request) => Promise<Principal>) =>
      (req: Request & { principal?: Principal }, res: Response, next: NextFunction) => {
        if (!applies(req)) return next();
        authenticate(req).then(
          (principal) => {
            req.principal = principal;
            next();
          },
          (err: unknown) =>
            filter.catch(err, { switchToHttp: () => ({ getResponse: () => res, getRequest: () => req }) } as never),
        );
      };
    // The intake routes read bodies of up to INTAKE_MAX_BATCH × 4 KiB: only for a key that holds, so
    // a stranger gets no more than every route's 256 KiB read (its role is checked by the guard later).
    app.use(authenticatedFirst(isIntakeRoute, (req) => guard.authenticate(req)));
    // 256 KiB, but a full batch on the intake routes: Alertmanager drops a notification answered 413.
    app.use(jsonBodyParser(config.intakeMaxBatch));
    app.use(bodyParserErrorHandler);
    // Depth, size, NUL/surrogate and __proto__ checks before class-transformer sees the body.
    app.use(inputGuard);
    if (config.security.docsRequireKey) {
      // Swagger's routes are plain Express ones, outside Nest's guards: authenticate them here
      // (an agent key, confined to work orders, is refused as on every other route).
      // Case-insensitive, as Express matches routes: /DOCS-JSON is /docs-json.
      const docs = (req: Request) => /^\/docs(?:$|\/|-json|-yaml)/i.test(req.path);
      app.use(authenticatedFirst(docs, (req) => guard.authenticateForDocs(req)));
    }
    app.useGlobalPipes(validationPipe());
    app.useGlobalInterceptors(new NoBodyInterceptor());
    app.useGlobalFilters(new HttpExceptionFilter());
    // No app.enableShutdownHooks(): main.ts owns SIGTERM/SIGINT and calls close(), which runs the
    // same hooks once, in order (relay drained first). Two owners ran them twice, concurrently.
    serveConsole(app);
    SwaggerModule.setup('docs', app, () => openApiDocument(app));
    await app.listen(config.port, config.host);
    const address = app.getHttpServer().address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : config.port}`;
    let closing: Promise<void> | null = null;
    return {
      app,
      database,
      url,
      close: () => {
        // From here the embedded server may go (a supervisor may signal it too): not a crash.
        database.expectStop();
        // And readiness answers 503 at once, for the whole drain (see beginShutdown).
        app.get(HealthController).beginShutdown();
        // Outbound calls get SHUTDOWN_TIMEOUT_MS from now, however the hooks that wait for them are ordered.
        app.get(Egress).stopDeadline(config.shutdownTimeoutMs);
        return (closing ??= app.close().finally(() => database.stop()));
      },
    };
  } catch (err) {
    // A hook that failed at startup (listen runs them) leaves the others' workers, timers and
    // pools running: closing stops them, so a process that cannot start ends instead of hanging.
    database.expectStop();
    await created?.close().catch(() => undefined);
    await database.stop();
    throw err;
  }
}
