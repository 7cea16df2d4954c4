import { type ReadableSpan, TracerProvider } from '@opentelemetry/sdk-trace';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildServerOnce } from './support/instances.js';

type ExportThread = typeof import('../src/tracing/export-thread.js');

interface Received {
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * The export thread (tracing/export-thread.ts) on its own, against a collector this test runs: the
 * protobuf encoding the tracing suite does not use, a collector that fails, and a shutdown that
 * waits for what is still out. The built module, as the server loads it (its worker is a file of
 * dist/).
 */
describe('OTLP export thread', () => {
  let ThreadedOtlpExporter: ExportThread['ThreadedOtlpExporter'];
  let collector: Server;
  let received: Received[];
  /** The status the collector answers with; a number of ms to hold each answer. */
  let status = 200;
  let holdMs = 0;
  const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;

  beforeAll(async () => {
    await buildServerOnce();
    ({ ThreadedOtlpExporter } = (await import(new URL('../dist/tracing/export-thread.js', import.meta.url).href)) as ExportThread);
    collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ url: req.url, headers: req.headers, body: Buffer.concat(chunks) });
        setTimeout(() => res.writeHead(status, { 'content-type': 'application/x-protobuf' }).end(), holdMs);
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', () => resolve()));
    // The thread reads the standard variables, as the SDK's own exporter does.
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    if (endpoint === undefined) delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    else process.env.OTEL_EXPORTER_OTLP_ENDPOINT = endpoint;
    await new Promise((resolve) => collector.close(resolve));
  });

  beforeEach(() => {
    received = [];
    status = 200;
    holdMs = 0;
  });

  /** A finished span, as the batch processor hands it to the exporter. */
  function endedSpan(name: string): ReadableSpan {
    const span = new TracerProvider().getTracer('test').startSpan(name);
    span.end();
    return span as unknown as ReadableSpan;
  }

  /** The result code of exporting `spans` (0 success, 1 failure). */
  const exportCode = (exporter: InstanceType<ExportThread['ThreadedOtlpExporter']>, spans: ReadableSpan[]) =>
    new Promise<number>((resolve) => exporter.export(spans, (result) => resolve(result.code)));

  it('sends protobuf to <endpoint>/v1/traces and reports success', async () => {
    const exporter = new ThreadedOtlpExporter('http/protobuf');
    try {
      expect(await exportCode(exporter, [endedSpan('protobuf-span-name')])).toBe(0);
      expect(received).toHaveLength(1);
      expect(received[0].url).toBe('/v1/traces');
      expect(received[0].headers['content-type']).toBe('application/x-protobuf');
      // Protobuf writes strings as their UTF-8 bytes.
      expect(received[0].body.includes(Buffer.from('protobuf-span-name'))).toBe(true);
    } finally {
      await exporter.shutdown();
    }
  });

  it('reports a collector that refuses the batch as a failed export, and the next one still goes', async () => {
    const exporter = new ThreadedOtlpExporter('http/json');
    try {
      status = 400;
      expect(await exportCode(exporter, [endedSpan('refused')])).toBe(1);
      status = 200;
      expect(await exportCode(exporter, [endedSpan('accepted')])).toBe(0);
      const last = received.at(-1)!;
      expect(last.headers['content-type']).toBe('application/json');
      expect(JSON.parse(last.body.toString('utf8'))).toMatchObject({
        resourceSpans: [{ scopeSpans: [{ spans: [expect.objectContaining({ name: 'accepted' })] }] }],
      });
    } finally {
      await exporter.shutdown();
    }
  });

  it('waits on shutdown for a batch still at the collector, then refuses more', async () => {
    const exporter = new ThreadedOtlpExporter('http/protobuf');
    holdMs = 500;
    const inFlight = exportCode(exporter, [endedSpan('in flight')]);
    await exporter.shutdown();
    // Answered before shutdown returned, and answered with the collector's success.
    await expect(Promise.race([inFlight, Promise.resolve('not yet')])).resolves.toBe(0);
    expect(received).toHaveLength(1);
    expect(await exportCode(exporter, [endedSpan('after')])).toBe(1);
  });
});
