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
import { ThreadedOtlpExporter } from './export-thread.js';
import { batchOptionsFromEnv, samplerFromEnv } from './sampler.js';
import { tracingStarted } from './tracing-state.js';

/**
 * OTLP over HTTP only, as OTEL_EXPORTER_OTLP_TRACES_PROTOCOL or OTEL_EXPORTER_OTLP_PROTOCOL asks
 * (protobuf unless `http/json`); the export thread reads OTEL_EXPORTER_OTLP_ENDPOINT and the other
 * standard OTEL_EXPORTER_OTLP_* variables itself (tracing/export-thread.ts).
 */
function exporterFromEnv(env: Record<string, string | undefined>): SpanExporter {
  const protocol = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL || 'http/protobuf').trim();
  if (protocol === 'http/json' || protocol === 'http/protobuf') return new ThreadedOtlpExporter(protocol);
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
  const provider = new TracerProvider({
    resource,
    sampler: samplerFromEnv(env),
    spanProcessors: [new BatchSpanProcessor({ exporter: exporterFromEnv(env), ...batchOptionsFromEnv(env) })],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  trace.setGlobalTracerProvider(provider);

  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      // Outgoing calls only (node:http; fetch is undici's), and only inside a trace; the exporter's
      // own posts go out from its thread, which loads no instrumentation. Each request's server
      // span is made from Fastify's hooks (tracing/http-tracing.ts), after the sampler has decided.
      new HttpInstrumentation({ disableIncomingRequestInstrumentation: true, requireParentforOutgoingSpans: true }),
      // The queue's polling runs SQL all the time outside any request: only SQL inside a trace. No
      // span for taking a pooled connection: a third of a traced GET /users/me's spans, for nothing.
      // Without those spans the instrumentation no longer binds the pool's callbacks to their
      // caller's context either: tracing/pool-context.ts does, or queued queries land in other traces.
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
