import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { writeFileSync } from 'node:fs';
import { AppModule } from '../app.module.js';
import { loadConfig } from '../platform/config/config.js';
import { openApiDocument } from './openapi-document.js';

/**
 * Writes the OpenAPI document to the path given (default stdout) without a database: Nest's preview
 * mode reads the modules and controllers but instantiates no provider, so nothing connects.
 */
export async function buildOpenApiDocument() {
  const config = loadConfig({ DATABASE_URL: 'postgres://openapi@127.0.0.1:1/openapi' });
  const app = await NestFactory.create(AppModule.forRoot(config, config.databaseUrl!), { preview: true, logger: false });
  try {
    return openApiDocument(app);
  } finally {
    await app.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const text = `${JSON.stringify(await buildOpenApiDocument(), null, 2)}\n`;
  if (process.argv[2]) writeFileSync(process.argv[2], text);
  else process.stdout.write(text);
}
