import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app.factory.js';
import { validateEnvironment } from '../../src/config/environment.js';

/** The production app (same factory as main.ts) on the run's scratch database. */
export async function createTestApp(overrides: Record<string, string> = {}): Promise<NestFastifyApplication> {
  const env = validateEnvironment({ ...process.env, ...overrides });
  if (!/\/e2e_[0-9a-f]+$/.test(new URL(env.DATABASE_URL ?? 'postgres://x/none').pathname)) {
    throw new Error(`refusing to run e2e tests against ${env.DATABASE_URL}: not an e2e_ database`);
  }
  const app = await createApp(env);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}
