import { type Attributes, type Context, type Link, propagation, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  RandomIdGenerator,
  type Sampler,
  SamplingDecision,
  type SamplingResult,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * The sampler the standard variables ask for (OpenTelemetry SDK environment variables:
 * OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG). The trace SDK of this major no longer reads them
 * itself (only sdk-node's configuration package does, with exporters this service does not use).
 */
export function samplerFromEnv(env: Record<string, string | undefined> = process.env): Sampler {
  const name = (env.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on').trim().toLowerCase();
  const ratio = () => {
    const raw = env.OTEL_TRACES_SAMPLER_ARG;
    if (raw === undefined || raw.trim() === '') return 1;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0 || value > 1) {
      throw new Error(`OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1, got "${raw}"`);
    }
    return value;
  };
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio());
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio()) });
    default:
      throw new Error(
        `OTEL_TRACES_SAMPLER must be always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio, got "${name}"`,
      );
  }
}

/**
 * The sampling decision for an incoming request, taken at the door: before the HTTP
 * instrumentation builds anything for it. That instrumentation asks the provider's sampler only
 * once it has built the request's attributes, its span and its context, and the pg, ioredis and
 * fetch instrumentations then build a span for every call made under it, recorded or not: at a
 * ratio of 0.1, nine requests in ten paid for spans nobody would see (docs/PERFORMANCE.md,
 * Tracing). Here `sampler` (the one the standard variables ask for) decides on the request's own
 * trace context, read by the SDK's propagator; a request it leaves out is not instrumented at all.
 *
 * What that changes for a request left out: it has no trace id (its log line none), and what it
 * calls or queues carries no `traceparent`, so a downstream service or the job decides for itself
 * rather than inheriting "not sampled".
 */
export class RequestSampling {
  private readonly ids = new RandomIdGenerator();

  constructor(private readonly sampler: Sampler) {}

  /** Whether a request with these headers is traced: `sampler`'s decision on its trace context. */
  admits(headers: IncomingHttpHeaders): boolean {
    const parent = headers.traceparent === undefined ? ROOT_CONTEXT : propagation.extract(ROOT_CONTEXT, headers);
    const traceId = trace.getSpanContext(parent)?.traceId ?? this.ids.generateTraceId();
    return this.sampler.shouldSample(parent, traceId, 'request', SpanKind.SERVER, {}, []).decision !== SamplingDecision.NOT_RECORD;
  }

  /**
   * The provider's sampler. A server span with no parent is a request `admits` let in: recorded
   * (asking `sampler` again, on the new trace id the span gets, would keep a ratio of a ratio). Any
   * other span (a request with a remote parent, for which `sampler` decides the same again; a
   * queued job; a client call) is `sampler`'s.
   */
  forSpans(): Sampler {
    const sampler = this.sampler;
    return {
      shouldSample(context: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
        if (kind === SpanKind.SERVER && trace.getSpanContext(context) === undefined)
          return { decision: SamplingDecision.RECORD_AND_SAMPLED };
        return sampler.shouldSample(context, traceId, name, kind, attributes, links);
      },
      toString: () => `RequestSampling{${sampler.toString()}}`,
    };
  }
}
