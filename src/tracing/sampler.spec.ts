import { describe, expect, it } from '@jest/globals';
import { ROOT_CONTEXT, SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace';
import { batchOptionsFromEnv, samplerFromEnv } from './sampler.js';

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

describe('batchOptionsFromEnv (OTEL_BSP_*)', () => {
  it('gives the batch span processor the standard variables it no longer reads itself', () => {
    expect(batchOptionsFromEnv({})).toEqual({});
    expect(
      batchOptionsFromEnv({
        OTEL_BSP_SCHEDULE_DELAY: '200',
        OTEL_BSP_EXPORT_TIMEOUT: '10000',
        OTEL_BSP_MAX_QUEUE_SIZE: '4096',
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE: ' 128 ',
      }),
    ).toEqual({ scheduledDelayMillis: 200, exportTimeoutMillis: 10_000, maxQueueSize: 4096, maxExportBatchSize: 128 });
  });

  it.each(['0', '-5', '1.5', 'ten', '1e3', '0x10'])('refuses OTEL_BSP_MAX_QUEUE_SIZE=%j, naming the variable', (value) => {
    expect(() => batchOptionsFromEnv({ OTEL_BSP_MAX_QUEUE_SIZE: value })).toThrow(/OTEL_BSP_MAX_QUEUE_SIZE/);
  });
});
