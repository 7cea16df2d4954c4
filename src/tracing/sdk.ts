import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';
import { createAddHookMessageChannel } from 'import-in-the-middle';
import { register } from 'node:module';
import { RequestSampling, samplerFromEnv } from './sampler.js';
import { tracingStarted } from './tracing-state.js';

/** Query parameters that carry secrets (mailed links, pages): their values never reach a span. */
const SECRET_QUERY_PARAMS = ['token', 'code', 'access_token', 'refresh_token', 'password'];

/**
 * OTLP over HTTP only, as OTEL_EXPORTER_OTLP_TRACES_PROTOCOL or OTEL_EXPORTER_OTLP_PROTOCOL asks
 * (protobuf unless `http/json`); each exporter reads OTEL_EXPORTER_OTLP_ENDPOINT and the other
 * standard OTEL_EXPORTER_OTLP_* variables itself.
 */
async function exporterFromEnv(env: Record<string, string | undefined>): Promise<SpanExporter> {
  const protocol = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL || 'http/protobuf').trim();
  if (protocol === 'http/json') return new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter();
  if (protocol === 'http/protobuf') return new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter();
  throw new Error(
    `OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf or http/json (this service exports over HTTP only), got "${protocol}"`,
  );
}

/**
 * Starts the SDK: the ESM loader hook (import-in-the-middle, told to intercept only the modules
 * instrumented here), the instrumentations, the provider and its exporter. Must run before the
 * application imports pg, ioredis or node:http, hence `node --import ./dist/tracing/instrument.js`.
 */
export async function startTracing(env: Record<string, string | undefined> = process.env): Promise<void> {
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);

  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': 'todo-api' }))
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over the default name.
    .merge(detectResources({ detectors: [envDetector] }));
  const sampling = new RequestSampling(samplerFromEnv(env));
  const provider = new TracerProvider({
    resource,
    sampler: sampling.forSpans(),
    spanProcessors: [new BatchSpanProcessor({ exporter: await exporterFromEnv(env) })],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  trace.setGlobalTracerProvider(provider);

  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        redactedQueryParamsServer: SECRET_QUERY_PARAMS,
        // Outgoing HTTP only inside a trace: the exporter's own posts start none.
        requireParentforOutgoingSpans: true,
        // Probes and scrapes every few seconds would drown the traces that matter; a request the
        // sampler leaves out is not instrumented at all (RequestSampling).
        ignoreIncomingRequestHook: (request) => /^\/(health|metrics)(\/|\?|$)/.test(request.url ?? '') || !sampling.admits(request.headers),
      }),
      // The queue's polling runs SQL all the time outside any request: only SQL inside a trace. No
      // span for taking a pooled connection: a third of a traced GET /users/me's spans, for nothing.
      new PgInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false, ignoreConnectSpans: true }),
      // The command only: keys carry addresses and ids, values may carry anything.
      new IORedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: (command) => command }),
      // fetch(): the Vonage client's calls.
      new UndiciInstrumentation({ requireParentforSpans: true }),
    ],
  });
  await waitForAllMessagesAcknowledged();
  tracingStarted(() => provider.shutdown());
}
