import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { Worker } from 'node:worker_threads';

/** The two encodings of OTLP over HTTP. */
export type OtlpHttpProtocol = 'http/protobuf' | 'http/json';

/** A batch for the export thread: encoded here, sent there. */
export interface ExportRequest {
  id: number;
  bytes: Uint8Array;
  spans: number;
}

/** The export thread's answer to one batch. */
export interface ExportReply {
  id: number;
  ok: boolean;
  error?: string;
}

/** What `workerData` holds for the export thread. */
export interface ExportThreadOptions {
  protocol: OtlpHttpProtocol;
}

/**
 * The OTLP/HTTP span exporter, with its HTTP client on a thread of its own. Each batch is encoded
 * here by OpenTelemetry's own serializer (the one its OTLPTraceExporter uses) and posted to
 * tracing/export-worker.ts, which sends it with OpenTelemetry's own HTTP export delegate: the same
 * endpoint, headers, timeout, compression and retries from the standard OTEL_EXPORTER_OTLP_*
 * variables, and the same protocol.
 *
 * Why a thread: node's HTTP client and server share their internals (the parser callbacks,
 * `OutgoingMessage`, the sockets' stream code). Once the exporter's requests had run through them,
 * every one of those call sites saw both kinds of objects and went megamorphic in V8, and every
 * request paid for it, the nine in ten the sampler left out too: ~15k instructions a request at
 * ratio 0.1 (callgrind, docs/tracing.md), more than the spans of the traced ones cost. A worker
 * has its own V8 isolate, so the server's call sites see only the server's objects.
 */
export class ThreadedOtlpExporter implements SpanExporter {
  private readonly worker: Worker;
  private readonly serializer: typeof ProtobufTraceSerializer;
  private readonly pending = new Map<number, (result: ExportResult) => void>();
  private readonly drained: (() => void)[] = [];
  private nextId = 0;
  private stopped?: Error;

  constructor(protocol: OtlpHttpProtocol) {
    this.serializer = protocol === 'http/json' ? JsonTraceSerializer : ProtobufTraceSerializer;
    this.worker = new Worker(new URL('./export-worker.js', import.meta.url), {
      // Not the parent's `--import` of the SDK: the thread only sends.
      execArgv: [],
      // The variables as this process sees them now (.env's included): the endpoint, headers…
      env: process.env,
      workerData: { protocol } satisfies ExportThreadOptions,
    });
    // Held only while a batch is out (below): an idle exporter never keeps the process alive.
    this.worker.unref();
    this.worker.on('message', (reply: ExportReply) =>
      this.settle(
        reply.id,
        reply.ok ? { code: ExportResultCode.SUCCESS } : { code: ExportResultCode.FAILED, error: new Error(reply.error) },
      ),
    );
    this.worker.on('error', (error) => this.stop(error));
    this.worker.on('exit', (code) => this.stop(new Error(`the OTLP export thread exited (code ${code})`)));
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    if (this.stopped) return resultCallback({ code: ExportResultCode.FAILED, error: this.stopped });
    const bytes = this.serializer.serializeRequest(spans);
    if (!bytes) return resultCallback({ code: ExportResultCode.FAILED, error: new Error('nothing to send') });
    const id = ++this.nextId;
    if (this.pending.size === 0) this.worker.ref();
    this.pending.set(id, resultCallback);
    this.worker.postMessage({ id, bytes, spans: spans.length } satisfies ExportRequest);
  }

  /** Resolves once every batch handed over so far has been answered. */
  async forceFlush(): Promise<void> {
    if (this.pending.size > 0) await new Promise<void>((resolve) => this.drained.push(resolve));
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
    this.stopped ??= new Error('the OTLP exporter was shut down');
    await this.worker.terminate();
  }

  private settle(id: number, result: ExportResult): void {
    const callback = this.pending.get(id);
    if (!callback) return;
    this.pending.delete(id);
    if (this.pending.size === 0) {
      this.worker.unref();
      for (const resolve of this.drained.splice(0)) resolve();
    }
    callback(result);
  }

  /** The thread is gone: what it still had fails, and so does what comes after. */
  private stop(error: Error): void {
    this.stopped ??= error;
    for (const id of [...this.pending.keys()]) this.settle(id, { code: ExportResultCode.FAILED, error });
  }
}
