import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';

/** The name of the Bearer scheme every operation names (`@ApiBearerAuth()`), defined once here. */
export const BEARER_SCHEME = 'bearer';

/**
 * The service's OpenAPI document, from the controllers' decorators: served at /docs, linted by
 * Redocly in the tests, and the source of the console's API types (`npm run openapi`).
 */
export function openApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('pillar-loop')
    .setDescription('Incident → pattern → recovery → policy → routing, on a transactional outbox.')
    .setVersion('0.1.0')
    .setLicense('UNLICENSED', 'https://choosealicense.com/no-permission/')
    .addServer('/', 'this service')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'an API key (`Authorization: Bearer <key>`), or the console session cookie' }, BEARER_SCHEME)
    .build();
  return SwaggerModule.createDocument(app, config);
}
