import { type Attributes, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { tracingEnabled } from './tracing-state.js';

const tracer = trace.getTracer('todo-api');

/**
 * Runs `call` in a CLIENT span named `name`, for a protocol no instrumentation covers (SMTP
 * through nodemailer); just runs it while tracing is off. Attributes name the server, never what
 * is sent.
 */
export function clientSpan<T>(name: string, attributes: Attributes, call: () => Promise<T>): Promise<T> {
  if (!tracingEnabled()) return call();
  return tracer.startActiveSpan(name, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    try {
      return await call();
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
      throw error;
    } finally {
      span.end();
    }
  });
}
