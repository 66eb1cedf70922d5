import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';

/**
 * The service's OpenAPI document, from the controllers' decorators: served at /docs, linted by
 * Redocly's recommended rules in the tests, and the source of the console's API types
 * (`npm run openapi`, checked by test/openapi.test.ts).
 */
export function openApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('pillar-loop')
    .setDescription('Incident → pattern → recovery → policy → routing, on a transactional outbox.')
    .setVersion('0.1.0')
    .setLicense('UNLICENSED', 'https://choosealicense.com/no-permission/')
    .addServer('/', 'this service')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'an API key: `Authorization: Bearer <key>`' })
    .addCookieAuth('pl_session', {
      type: 'apiKey',
      in: 'cookie',
      description: "the console's session (POST /auth/session); accepted wherever a key is",
    })
    .build();
  const document = SwaggerModule.createDocument(app, config);
  // What the guard answers on every authenticated route (ApiKeyGuard): said once here, not on 80 methods.
  for (const operations of Object.values(document.paths)) {
    for (const op of Object.values(operations) as Array<{
      security?: Array<Record<string, string[]>>;
      responses: Record<string, unknown>;
    }>) {
      if (!op?.responses || !op.security?.some((s) => 'bearer' in s)) continue;
      op.responses['401'] ??= { description: 'no valid API key or session' };
      op.responses['403'] ??= { description: "the key's role may not do this" };
    }
  }
  return document;
}
