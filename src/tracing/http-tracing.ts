import { type Context, context, propagation, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** The ids of the request's trace, for its log line (common/http.ts). */
export interface TraceIds {
  trace_id: string;
  span_id: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set only for a request the sampler keeps. */
    traceIds?: TraceIds;
  }
}

const tracer = trace.getTracer('todo-api');

/** Probes and scrapes every few seconds would drown the traces that matter. */
const UNTRACED = /^\/(health|metrics)(\/|\?|$)/;

/**
 * The HTTP server span of each request, named by its route template (`POST /todos`, `DELETE
 * /todos/:id`, never the path with its ids), from Fastify's hooks: started when the request
 * arrives, made the active span just before the handler runs (so the handler's span, its SQL,
 * Redis and queue inserts are its children), ended when the response is sent.
 *
 * Not the HTTP instrumentation's server side (sdk.ts turns it off): it builds a request's
 * attributes, span and context and binds its emitters before the sampler is asked, so at a ratio
 * of 0.1 nine requests in ten paid for a span nobody would see (docs/tracing.md, What it costs).
 * Here the sampler decides first (the span starts non-recording) and a request it leaves out gets
 * nothing else: no active span, so pg, ioredis and fetch make none under it either. The incoming
 * `traceparent` is read by the SDK's propagator, and the attributes are the stable HTTP semantic
 * conventions, without the query string (mailed links carry tokens there).
 *
 * What a request left out loses: a trace id in its log line, and a `traceparent` on what it calls
 * or queues, so a downstream service or the job samples for itself rather than inheriting "not
 * sampled". Added only while tracing is on.
 */
export function traceHttp(fastify: FastifyInstance): void {
  /** The context each traced request's handler runs in: its server span's. */
  const traced = new WeakMap<FastifyRequest, Context>();
  fastify.decorateRequest('traceIds', undefined);

  /** Sent in full: the status code it answered; closed before that: the client went away. */
  const end = (request: FastifyRequest, reply: FastifyReply, span: Span) => {
    // A handler still to come (after an abort) runs outside the ended span.
    traced.delete(request);
    if (reply.raw.writableFinished) {
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    } else span.setStatus({ code: SpanStatusCode.ERROR, message: 'request aborted' });
    span.end();
  };
  fastify.addHook('onRequest', function startServerSpan(request: FastifyRequest, reply: FastifyReply, done: () => void) {
    if (UNTRACED.test(request.url)) return done();
    const route = request.routeOptions.url;
    const parent = request.headers.traceparent === undefined ? ROOT_CONTEXT : propagation.extract(ROOT_CONTEXT, request.headers);
    const span = tracer.startSpan(route === undefined ? request.method : `${request.method} ${route}`, { kind: SpanKind.SERVER }, parent);
    if (!span.isRecording()) return done();
    span.setAttributes(requestAttributes(request, route));
    traced.set(request, trace.setSpan(parent, span));
    const { traceId, spanId } = span.spanContext();
    request.traceIds = { trace_id: traceId, span_id: spanId };
    // A response closes once it has been sent, or when its client went away first. Neither
    // Fastify's onResponse hook nor its onRequestAbort: each runs for every request, the nine in
    // ten the sampler left out too.
    reply.raw.once('close', () => end(request, reply, span));
    done();
  });

  // The last hook before the handler: what the handler starts runs in the span's context.
  fastify.addHook('preHandler', function activateServerSpan(request: FastifyRequest, _reply, done: () => void) {
    const active = traced.get(request);
    if (active === undefined) return done();
    context.with(active, done);
  });
}

function requestAttributes(request: FastifyRequest, route: string | undefined): Record<string, string | number> {
  const queryAt = request.url.indexOf('?');
  // Assigned one by one: an object literal with computed keys (`{ [ATTR_URL_PATH]: … }`) is built
  // key by key in V8's runtime, ~9k instructions a traced request; a store to a constant key is not.
  const attributes: Record<string, string | number> = {};
  attributes[ATTR_HTTP_REQUEST_METHOD] = request.method;
  attributes[ATTR_URL_PATH] = queryAt === -1 ? request.url : request.url.slice(0, queryAt);
  attributes[ATTR_URL_SCHEME] = request.protocol;
  attributes[ATTR_NETWORK_PROTOCOL_VERSION] = request.raw.httpVersion;
  attributes[ATTR_CLIENT_ADDRESS] = request.ip;
  attributes[ATTR_SERVER_ADDRESS] = request.hostname;
  if (route !== undefined) attributes[ATTR_HTTP_ROUTE] = route;
  const port = request.port;
  if (port !== undefined && port !== null) attributes[ATTR_SERVER_PORT] = port;
  const userAgent = request.headers['user-agent'];
  if (userAgent !== undefined) attributes[ATTR_USER_AGENT_ORIGINAL] = userAgent;
  return attributes;
}
