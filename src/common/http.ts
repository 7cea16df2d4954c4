import { BadRequestException } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DOCS_PATH } from './swagger.js';

/** Deeper than any body of this API needs; far below what would exhaust the validator's recursion. */
export const MAX_JSON_DEPTH = 32;

function depthExceeds(value: unknown, limit: number): boolean {
  // Iterative, so the check itself cannot overflow the stack it protects.
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * The only body parser (API.md: all bodies are JSON): Fastify's own secure parser, which refuses
 * `__proto__` and `constructor.prototype` keys (prototype poisoning), plus a depth limit checked
 * before anything recursive touches the body. An empty body is no body. Fastify would also parse
 * text/plain; with this the only parser, a form post (or any simple cross-site request) gets a 415.
 */
function registerJsonBodyParser(fastify: FastifyInstance): void {
  const secureParse = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body.toString();
    if (text.trim() === '') return done(null, undefined);
    void secureParse(request, text, (error, parsed) => {
      if (error) return done(new BadRequestException(jsonRefusal(text)), undefined);
      if (depthExceeds(parsed, MAX_JSON_DEPTH)) {
        return done(new BadRequestException(`Body is nested deeper than ${MAX_JSON_DEPTH} levels`), undefined);
      }
      done(null, parsed);
    });
  });
}

/** Says why the secure parser refused a body (run only on a refusal). */
function jsonRefusal(text: string): string {
  try {
    JSON.parse(text);
    return 'Body contains a forbidden "__proto__" or "constructor.prototype" key';
  } catch {
    return 'Body is not valid JSON';
  }
}

/** Receives every answered request, e.g. metrics/MetricsService. */
export interface RequestObserver {
  observeRequest(method: string, route: string, status: number, elapsedMs: number): void;
}

/**
 * One line per request: method, route template (never ids or query strings; 'unmatched' for no
 * route), status, duration; the same values go to the observer (metrics) in the same hook.
 */
function registerRequestLog(fastify: FastifyInstance, observer?: RequestObserver): void {
  // Named, like the security-header hook, so that CPU profiles (scripts/bench/layers.ts) can tell them apart.
  fastify.addHook('onResponse', function logRequest(request: FastifyRequest, reply: FastifyReply, done: () => void) {
    const route = request.routeOptions.url ?? 'unmatched';
    const elapsed = reply.elapsedTime;
    observer?.observeRequest(request.method, route, reply.statusCode, elapsed);
    request.log.info(
      {
        reqId: request.id,
        method: request.method,
        route,
        status: reply.statusCode,
        durationMs: Math.round(elapsed * 100) / 100,
        // trace_id and span_id of the request's server span, when it is traced (tracing/http-tracing.ts).
        ...request.traceIds,
      },
      'request',
    );
    done();
  });
}

/** helmet's headers for `options`, recorded once: its middleware run against a recording response. */
function helmetHeaders(options: HelmetOptions): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: unknown) => (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => delete headers[name.toLowerCase()],
    getHeader: (name: string) => headers[name.toLowerCase()],
  };
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, () => undefined);
  return headers;
}

/** The Swagger UI and its document: the one place that serves a page rather than JSON. */
const DOCS_PREFIX = `/${DOCS_PATH}`;

/**
 * Security headers, computed once: helmet's middleware is run a single time per policy, and every
 * reply then gets its set through Fastify's own header path (no per-request helmet run, no
 * per-header validation in node's setHeader). @fastify/helmet rebuilds the whole helmet
 * configuration on every request, which measured ~4% of a cheap route's CPU.
 *
 * Two policies. The API answers JSON, which no browser should render, frame, cache or let load
 * anything: the headers of OWASP's REST Security Cheat Sheet (`default-src 'none'; frame-ancestors
 * 'none'`, `X-Frame-Options: DENY`, nosniff, `Cache-Control: no-store`, HSTS) with CORP and no
 * referrer. The Swagger UI under /docs is a page: helmet's defaults, with its own scripts, inline
 * styles and data: images.
 *
 * Each in two forms. HSTS and `upgrade-insecure-requests` are sent only over HTTPS (TLS here, or a
 * trusted proxy's `X-Forwarded-Proto: https`, see TRUST_PROXY): over plain HTTP a browser ignores
 * HSTS anyway, and `upgrade-insecure-requests` makes it fetch the page's own assets over an https
 * that is not there, so /docs opened at http://<host>:3000 renders blank (helmetjs/helmet#429).
 */
function registerSecurityHeaders(fastify: FastifyInstance): void {
  const api = (https: boolean) => ({
    ...helmetHeaders({
      contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
      frameguard: { action: 'deny' },
      strictTransportSecurity: https,
      // Only a document uses these (the pages send theirs, pages/page-security.ts), or only browsers
      // long gone did (IE's download prompt, Flash's policy files, the XSS auditor). Each header
      // costs every response ~2k instructions of Fastify and node (docs/PERFORMANCE.md).
      crossOriginOpenerPolicy: false,
      originAgentCluster: false,
      xDnsPrefetchControl: false,
      xDownloadOptions: false,
      xPermittedCrossDomainPolicies: false,
      xXssProtection: false,
    }),
    // Answers carry tokens, codes and profiles: no cache keeps them (RFC 6749 §5.1 for the token
    // answers, OWASP's REST Security Cheat Sheet for the rest). A route that may be cached says so
    // itself (the key sets).
    'cache-control': 'no-store',
  });
  const docs = (https: boolean) =>
    helmetHeaders({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          // Swagger UI styles itself inline and embeds its icons as data: URLs.
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:'],
          scriptSrc: ["'self'"],
          upgradeInsecureRequests: https ? [] : null,
        },
      },
      strictTransportSecurity: https,
    });
  const policies = { api: { https: api(true), http: api(false) }, docs: { https: docs(true), http: docs(false) } };
  fastify.addHook('onRequest', function securityHeaders(request: FastifyRequest, reply: FastifyReply, done: () => void) {
    const policy = request.url.startsWith(DOCS_PREFIX) ? policies.docs : policies.api;
    reply.headers(request.protocol === 'https' ? policy.https : policy.http);
    done();
  });
}

/** The HTTP layer every request passes through, whatever route it reaches. */
export function configureHttp(fastify: FastifyInstance, observer?: RequestObserver): void {
  registerJsonBodyParser(fastify);
  registerRequestLog(fastify, observer);
  registerSecurityHeaders(fastify);
}
