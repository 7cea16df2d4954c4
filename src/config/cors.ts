import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { parseCorsOrigins } from './operations.js';

/** @fastify/cors comes with @nestjs/platform-fastify (app.enableCors), not as a dependency of ours. */
type CorsOptions = NonNullable<Parameters<NestFastifyApplication['enableCors']>[0]>;

/**
 * CORS_ORIGINS as exact origins, with credentials. An origin not on the list gets nothing: the
 * plugin steps aside, so its preflight is no CORS answer at all (no route serves OPTIONS: 404) and
 * the browser refuses the call.
 */
export function corsOptions(raw: string): CorsOptions {
  const allowed = new Set(parseCorsOrigins(raw));
  return {
    origin: (origin: string | undefined, callback: (error: Error | null, allow: boolean) => void) =>
      callback(null, origin !== undefined && allowed.has(origin)),
    credentials: true,
    methods: ['GET', 'POST', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type'],
    maxAge: 600,
  };
}
