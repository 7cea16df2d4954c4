/**
 * The `--import` entry of every start (`npm start`, `npm run start:prod`, the tests' servers):
 * `node --import ./dist/tracing/instrument.js dist/main.js`. With OTEL_EXPORTER_OTLP_ENDPOINT
 * unset (or OTEL_SDK_DISABLED=true) it returns at once and the SDK is never loaded.
 */
import { existsSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

// The same .env main.ts reads (config/environment.ts), so the endpoint may be set there too.
if (existsSync('.env')) process.loadEnvFile('.env');

// Never in a worker thread: the export thread (tracing/export-thread.ts) is started without this
// `--import`, and must not start an SDK of its own if it ever got it.
if (isMainThread && process.env.OTEL_EXPORTER_OTLP_ENDPOINT && process.env.OTEL_SDK_DISABLED !== 'true') {
  const { startTracing } = await import('./sdk.js');
  await startTracing();
}
