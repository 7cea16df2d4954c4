/**
 * Whether the OpenTelemetry SDK was started (tracing/instrument.ts, before the application was
 * imported) and how to flush it. Everything the app does for tracing asks `tracingEnabled()`
 * first, so with OTEL_EXPORTER_OTLP_ENDPOINT unset no hook, wrapper or span is added and the
 * SDK is never even imported. This file imports nothing.
 */
let shutdown: (() => Promise<void>) | undefined;

export function tracingEnabled(): boolean {
  return shutdown !== undefined;
}

/** Called once by the SDK's start-up. */
export function tracingStarted(stop: () => Promise<void>): void {
  shutdown = stop;
}

/** Exports what is still buffered and stops the SDK; nothing when tracing is off. */
export async function stopTracing(): Promise<void> {
  const stop = shutdown;
  shutdown = undefined;
  await stop?.();
}
