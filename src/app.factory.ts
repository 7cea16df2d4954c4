import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { type FastifyBaseLogger, LogController } from 'fastify';
import { AppModule } from './app.module.js';
import { configureHttp } from './common/http.js';
import { createLogger, logDestination, PinoNestLogger, prettyLogs } from './common/logger.js';
import { setupSwagger } from './common/swagger.js';
import type { Environment } from './config/environment.js';
import { fastifyTrustProxy } from './config/operations.js';
import { MetricsService } from './metrics/metrics.service.js';
import { corsOptions } from './config/cors.js';
import { tracingEnabled } from './tracing/tracing-state.js';

export const BODY_LIMIT_BYTES = 100 * 1024;

/**
 * Builds the application exactly as production runs it; `main.ts` listens on it and the
 * e2e tests drive it, so both see the same plugins, pipes, guards and error shapes.
 */
export async function createApp(env: Environment): Promise<NestFastifyApplication> {
  const destination = logDestination(prettyLogs(env));
  const logger = createLogger(env, destination);
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    // Fastify's two lines per request are replaced by the one line of common/http.ts.
    logController: new LogController({ disableRequestLogging: true }),
    // request.log is the root logger rather than a child made for every request; the one request
    // line carries reqId itself.
    childLoggerFactory: (logger: FastifyBaseLogger) => logger,
    bodyLimit: BODY_LIMIT_BYTES,
    // Lets close() end idle keep-alive sockets so SIGTERM does not wait for clients to hang up.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    // Unset: X-Forwarded-For is ignored, so a client cannot pick its own address (rate limits, sessions).
    trustProxy: fastifyTrustProxy(env.TRUST_PROXY),
    // No Nest middleware here (guards, pipes and the hooks of common/http.ts do that work), so no
    // @fastify/middie, whose hook would otherwise run on every request for nothing. Nest middleware
    // added later needs this option gone: with it, Nest expects the app to register middie itself.
    skipMiddie: true,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(env), adapter, {
    logger: new PinoNestLogger(logger, destination),
    bufferLogs: false,
    // Throw instead of exiting, so main.ts prints one clear line and tests see the error.
    abortOnError: false,
    // No form or text parsers: JSON only (common/http.ts), anything else is a 415.
    bodyParser: false,
  });

  if (env.CORS_ORIGINS) app.enableCors(corsOptions(env.CORS_ORIGINS));
  configureHttp(app.getHttpAdapter().getInstance(), app.get(MetricsService));
  // Imported only while tracing is on: with it off, no part of the SDK is loaded.
  if (tracingEnabled()) (await import('./tracing/http-tracing.js')).traceHttp(app.getHttpAdapter().getInstance());
  setupSwagger(app);
  return app;
}
