/**
 * `npm run docs:openapi`: writes docs/openapi.json, the OpenAPI document the service serves at
 * /docs-json. test/openapi.e2e-spec.ts fails when the two differ.
 *
 * It loads the application that `nest build` just compiled: Swagger reads property types from the
 * decorator metadata tsc emits, which tsx (esbuild) leaves out. Nest's preview mode scans modules
 * and controllers without instantiating a provider, so no database, keys or server are needed.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './root.js';

const OUTPUT = join(ROOT, 'docs', 'openapi.json');

/** A module of the compiled application, typed as its source. */
async function compiled<T>(path: string): Promise<T> {
  const file = join(ROOT, 'dist', `${path}.js`);
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` first (npm run docs:openapi does)`);
  return (await import(pathToFileURL(file).href)) as T;
}

async function main(): Promise<void> {
  const { AppModule } = await compiled<typeof import('../src/app.module.js')>('app.module');
  const { validateEnvironment } = await compiled<typeof import('../src/config/environment.js')>('config/environment');
  const { createOpenApiDocument } = await compiled<typeof import('../src/common/swagger.js')>('common/swagger');

  // The defaults: nothing in the document depends on configuration, and a local .env must not leak in.
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(validateEnvironment({})), new FastifyAdapter(), {
    preview: true,
    abortOnError: false,
    // Errors only: preview mode's own banner is a warning.
    logger: ['error'],
  });
  try {
    const document = createOpenApiDocument(app);
    await mkdir(dirname(OUTPUT), { recursive: true });
    await writeFile(OUTPUT, `${JSON.stringify(document, null, 2)}\n`);
    console.log(`wrote ${OUTPUT}: ${Object.keys(document.paths).length} paths`);
  } finally {
    await app.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
