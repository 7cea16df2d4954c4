import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { context as otelContext, SpanStatusCode, trace } from '@opentelemetry/api';
import { finalize, type Observable, tap } from 'rxjs';

const tracer = trace.getTracer('todo-api');

/**
 * A span per handler named `Controller.method` (`TodosController.create`), under the HTTP server
 * span, around what the handler runs (its SQL, its queue insert). The NestJS instrumentation does
 * not support Nest 12, so the app names these itself. Registered only while tracing is on.
 */
@Injectable()
export class HandlerSpanInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    // A request the sampler left out (most, at a ratio of 0.1) would only get a span nobody sees:
    // its handler runs as it would without tracing.
    if (!trace.getSpan(otelContext.active())?.isRecording()) return next.handle();
    const controller = context.getClass().name;
    const method = context.getHandler().name;
    return tracer.startActiveSpan(
      `${controller}.${method}`,
      { attributes: { 'code.function.name': `${controller}.${method}` } },
      // Nest binds the handler to the async context current when next.handle() is called: this span's.
      (span) =>
        next.handle().pipe(
          tap({
            error: (error: unknown) => {
              span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
            },
          }),
          finalize(() => span.end()),
        ),
    );
  }
}
