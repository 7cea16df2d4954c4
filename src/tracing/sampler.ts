import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  type BatchSpanProcessorOptions,
  ParentBasedSampler,
  type Sampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace';
import { parseWholeNumber } from '../common/whole-number.js';

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

type BatchOptions = Omit<BatchSpanProcessorOptions, 'exporter'>;

/**
 * The batch span processor's options from the standard OTEL_BSP_* variables, which the trace SDK
 * of this major no longer reads itself either: without this an operator's setting was ignored.
 */
export function batchOptionsFromEnv(env: Record<string, string | undefined> = process.env): BatchOptions {
  const options: BatchOptions = {};
  for (const [name, option] of [
    ['OTEL_BSP_SCHEDULE_DELAY', 'scheduledDelayMillis'],
    ['OTEL_BSP_EXPORT_TIMEOUT', 'exportTimeoutMillis'],
    ['OTEL_BSP_MAX_QUEUE_SIZE', 'maxQueueSize'],
    ['OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 'maxExportBatchSize'],
  ] as const) {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') continue;
    const value = parseWholeNumber(raw.trim());
    if (value === undefined || value < 1) throw new Error(`${name} must be a whole number above 0, got "${raw}"`);
    options[option] = value;
  }
  return options;
}
