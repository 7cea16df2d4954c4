import { context, trace } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** The ids of the request's trace, for its log line (common/http.ts). */
export interface TraceIds {
  trace_id: string;
  span_id: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set only while tracing is on. */
    traceIds?: TraceIds;
  }
}

/**
 * Names the HTTP server span by the route template (`POST /todos`, `DELETE /todos/:id`), never
 * the path with its ids: the HTTP instrumentation takes the route from the request's RPC
 * metadata when the response ends. Keeps the span's ids for the request's log line. Added only
 * while tracing is on.
 */
export function traceHttp(fastify: FastifyInstance): void {
  fastify.decorateRequest('traceIds', undefined);
  fastify.addHook('onRequest', function traceRequest(request: FastifyRequest, _reply, done: () => void) {
    const active = context.active();
    const metadata = getRPCMetadata(active);
    const route = request.routeOptions.url;
    if (metadata?.type === RPCType.HTTP && route !== undefined) metadata.route = route;
    const span = trace.getSpan(active);
    if (span) {
      const { traceId, spanId } = span.spanContext();
      request.traceIds = { trace_id: traceId, span_id: spanId };
    }
    done();
  });
}
