import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { propagation, ROOT_CONTEXT, SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { SamplingDecision } from '@opentelemetry/sdk-trace';
import { RequestSampling, samplerFromEnv } from './sampler.js';

/** How many of `count` new root traces the sampler keeps. */
function kept(env: Record<string, string>, count = 2_000): number {
  const sampler = samplerFromEnv(env);
  let sampled = 0;
  for (let i = 0; i < count; i++) {
    const traceId = Array.from({ length: 32 }, () => Math.floor(Math.random() * 16).toString(16)).join('');
    const result = sampler.shouldSample(ROOT_CONTEXT, traceId, 'GET /users/me', SpanKind.SERVER, {}, []);
    if (result.decision === SamplingDecision.RECORD_AND_SAMPLED) sampled++;
  }
  return sampled;
}

describe('samplerFromEnv (OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG)', () => {
  it('samples every trace by default, and none with always_off', () => {
    expect(kept({}, 100)).toBe(100);
    expect(kept({ OTEL_TRACES_SAMPLER: 'always_off' }, 100)).toBe(0);
  });

  it('keeps about the ratio asked for', () => {
    const share = kept({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' }) / 2_000;
    expect(share).toBeGreaterThan(0.05);
    expect(share).toBeLessThan(0.15);
  });

  it('follows a sampled parent whatever the ratio, when parent-based', () => {
    const parent = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    });
    const sampler = samplerFromEnv({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' });
    expect(sampler.shouldSample(parent, '0af7651916cd43dd8448eb211c80319c', 'x', SpanKind.SERVER, {}, []).decision).toBe(
      SamplingDecision.RECORD_AND_SAMPLED,
    );
  });

  it.each([
    [{ OTEL_TRACES_SAMPLER: 'sometimes' }, /OTEL_TRACES_SAMPLER/],
    [{ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '1.5' }, /OTEL_TRACES_SAMPLER_ARG/],
    [{ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: 'half' }, /OTEL_TRACES_SAMPLER_ARG/],
  ])('refuses %j with a message naming the variable', (env, message) => {
    expect(() => samplerFromEnv(env)).toThrow(message);
  });
});

describe('RequestSampling: the decision at the door', () => {
  // The SDK sets the W3C propagator at start-up (sdk.ts); the door reads traceparent through it.
  beforeAll(() => void propagation.setGlobalPropagator(new W3CTraceContextPropagator()));
  afterAll(() => propagation.disable());

  const door = (env: Record<string, string>) => new RequestSampling(samplerFromEnv(env));
  const traceparent = (flags: string) => ({ traceparent: `00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-${flags}` });

  it('lets in about the ratio of new requests, all with always_on and none with always_off', () => {
    const ratio = door({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' });
    let admitted = 0;
    for (let i = 0; i < 2_000; i++) if (ratio.admits({})) admitted++;
    expect(admitted / 2_000).toBeGreaterThan(0.05);
    expect(admitted / 2_000).toBeLessThan(0.15);
    expect(door({ OTEL_TRACES_SAMPLER: 'always_on' }).admits({})).toBe(true);
    expect(door({ OTEL_TRACES_SAMPLER: 'always_off' }).admits(traceparent('01'))).toBe(false);
  });

  it("follows the caller's sampled flag when parent-based, whatever the ratio", () => {
    const none = door({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' });
    expect(none.admits(traceparent('01'))).toBe(true);
    expect(none.admits(traceparent('00'))).toBe(false);
    expect(none.admits({})).toBe(false);
    const all = door({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '1' });
    expect(all.admits(traceparent('00'))).toBe(false);
    // A malformed traceparent is no parent: the request is a new trace, decided by the ratio.
    expect(all.admits({ traceparent: 'garbage' })).toBe(true);
  });

  it('records the server span of a request let in, and leaves every other span to the configured sampler', () => {
    const spans = door({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' }).forSpans();
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    expect(spans.shouldSample(ROOT_CONTEXT, traceId, 'GET /users/me', SpanKind.SERVER, {}, []).decision).toBe(
      SamplingDecision.RECORD_AND_SAMPLED,
    );
    expect(spans.shouldSample(ROOT_CONTEXT, traceId, 'sms deliver', SpanKind.CONSUMER, {}, []).decision).toBe(SamplingDecision.NOT_RECORD);
    const unsampledParent = trace.setSpanContext(ROOT_CONTEXT, {
      traceId,
      spanId: 'b7ad6b7169203331',
      traceFlags: TraceFlags.NONE,
      isRemote: true,
    });
    expect(spans.shouldSample(unsampledParent, traceId, 'GET /users/me', SpanKind.SERVER, {}, []).decision).toBe(
      SamplingDecision.NOT_RECORD,
    );
  });
});
