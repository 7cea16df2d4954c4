import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { tracingEnabled } from './tracing-state.js';

/** The field of a queued job's data that carries the trace context of the request that queued it. */
export const TRACE_FIELD = '_trace';

const tracer = trace.getTracer('todo-api');

/**
 * The payload with the current trace context (W3C traceparent, tracestate) added, so the job's
 * delivery joins the trace of the request that queued it; the payload itself while tracing is off
 * or no span is active.
 */
export function withTraceContext<Payload extends object>(payload: Payload): Payload {
  if (!tracingEnabled()) return payload;
  const active = context.active();
  if (!trace.getSpan(active)) return payload;
  const carrier: Record<string, string> = {};
  propagation.inject(active, carrier);
  return Object.keys(carrier).length === 0 ? payload : { ...payload, [TRACE_FIELD]: carrier };
}

/**
 * Runs one job's delivery with its trace context taken off the data (whatever this instance's
 * tracing: another may have queued it). While tracing is on, in a CONSUMER span that is a child
 * of, and linked to, the span that queued the job.
 */
export function traceJob<T>(queue: string, jobId: string, data: object, deliver: (payload: object) => Promise<T>): Promise<T> {
  const { [TRACE_FIELD]: carrier, ...payload } = data as Record<string, unknown>;
  if (!tracingEnabled()) return deliver(payload);
  const parent = carrier && typeof carrier === 'object' ? propagation.extract(ROOT_CONTEXT, carrier) : ROOT_CONTEXT;
  const queuedBy = trace.getSpanContext(parent);
  return tracer.startActiveSpan(
    `${queue} deliver`,
    {
      kind: SpanKind.CONSUMER,
      links: queuedBy ? [{ context: queuedBy }] : [],
      attributes: {
        'messaging.system': 'pg-boss',
        'messaging.operation.type': 'process',
        'messaging.destination.name': queue,
        'messaging.message.id': jobId,
      },
    },
    parent,
    async (span) => {
      try {
        return await deliver(payload);
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}
