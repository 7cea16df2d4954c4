import { Injectable } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants.js';
import { ModulesContainer } from '@nestjs/core';
import { context, SpanStatusCode, trace } from '@opentelemetry/api';

const tracer = trace.getTracer('todo-api');

type Handler = (...args: unknown[]) => unknown;

/** Handlers wrapped already: a controller listed by two modules gets one span, not two. */
const wrapped = new WeakSet<Handler>();

/** `handler` in a span named `name` while the request is traced; exactly `handler` otherwise. */
function traced(name: string, handler: Handler): Handler {
  const wrapper = function (this: unknown, ...args: unknown[]): unknown {
    // A request the sampler left out has no recording span: its handler runs as it would untraced.
    if (!trace.getSpan(context.active())?.isRecording()) return handler.apply(this, args);
    return tracer.startActiveSpan(name, { attributes: { 'code.function.name': name } }, async (span) => {
      try {
        return await handler.apply(this, args);
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
        throw error;
      } finally {
        span.end();
      }
    });
  };
  wrapped.add(wrapper);
  Object.defineProperty(wrapper, 'name', { value: handler.name });
  // Routes, guards' @Public(), Swagger: Nest reads all of it from the handler function itself.
  for (const key of Reflect.getMetadataKeys(handler)) Reflect.defineMetadata(key, Reflect.getMetadata(key, handler), wrapper);
  return wrapper;
}

/**
 * A span per route handler named `Controller.method` (`TodosController.create`), under the HTTP
 * server span, around what the handler runs (its SQL, its queue insert). The NestJS
 * instrumentation does not support Nest 12, so the app names these itself.
 *
 * Not a Nest interceptor: any interceptor turns every request's handler call into an RxJS
 * pipeline, which cost ~20 µs a request while tracing was on, traced or not (docs/PERFORMANCE.md).
 * Instead each route handler on the controllers' prototypes is wrapped once, when this provider is
 * built: after Nest has scanned the modules and before it registers the routes (app.init), which
 * take the handlers from the prototypes. Registered only while tracing is on.
 */
@Injectable()
export class HandlerSpans {
  constructor(modules: ModulesContainer) {
    for (const module of modules.values()) {
      for (const { metatype } of module.controllers.values()) {
        const prototype = (metatype as { prototype?: Record<string, unknown> } | undefined)?.prototype;
        if (!prototype) continue;
        for (const method of Object.getOwnPropertyNames(prototype)) {
          const handler = prototype[method];
          if (method === 'constructor' || typeof handler !== 'function' || wrapped.has(handler as Handler)) continue;
          if (!Reflect.hasMetadata(PATH_METADATA, handler)) continue;
          prototype[method] = traced(`${(metatype as { name: string }).name}.${method}`, handler as Handler);
        }
      }
    }
  }
}
