/**
 * The export thread of tracing/export-thread.ts: sends the batches the main thread has encoded,
 * through OpenTelemetry's own OTLP/HTTP export delegate (endpoint, headers, timeout, compression and
 * retries from the standard OTEL_EXPORTER_OTLP_* variables, as its OTLPTraceExporter reads them),
 * and answers each with its result.
 */
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import { ExportResultCode } from '@opentelemetry/core';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { parentPort, workerData } from 'node:worker_threads';
import type { ExportReply, ExportRequest, ExportThreadOptions } from './export-thread.js';

const port = parentPort;
if (!port) throw new Error('tracing/export-worker.js runs as the export thread of tracing/export-thread.js only');
const json = (workerData as ExportThreadOptions).protocol === 'http/json';
const serializer = json ? JsonTraceSerializer : ProtobufTraceSerializer;

const delegate = createOtlpHttpExportDelegate<ExportRequest, unknown>(
  convertLegacyHttpOptions({}, 'TRACES', 'v1/traces', { 'Content-Type': json ? 'application/json' : 'application/x-protobuf' }),
  {
    // Encoded already, by the same library's serializer, on the main thread.
    serializeRequest: (request) => request.bytes,
    // The collector's answer (a partial success is logged by the delegate).
    deserializeResponse: (response) => serializer.deserializeResponse(response),
  },
  'otlp_http_span_exporter',
  { name: 'span', countItems: (request) => request.spans },
  undefined,
);

port.on('message', (request: ExportRequest) => {
  delegate.export(request, (result) =>
    port.postMessage({ id: request.id, ok: result.code === ExportResultCode.SUCCESS, error: result.error?.message } satisfies ExportReply),
  );
});
