import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An OTLP attribute value as the JSON encoding writes it. */
type AnyValue = {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
  arrayValue?: { values: AnyValue[] };
};

/** One exported span, its attributes flattened to plain values. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: Record<string, unknown>;
  links: { traceId: string; spanId: string }[];
  scope: string;
  /** The span exactly as it arrived, for the secrets check. */
  raw: unknown;
}

const plain = (value: AnyValue | undefined): unknown =>
  value?.stringValue ?? value?.intValue ?? value?.boolValue ?? value?.doubleValue ?? value?.arrayValue?.values.map(plain);

/**
 * A collector's OTLP/HTTP trace endpoint (POST /v1/traces, JSON encoding: the service exports
 * with OTEL_EXPORTER_OTLP_PROTOCOL=http/json) on a free port, keeping every span it receives.
 */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  readonly bodies: string[] = [];
  private constructor(private readonly server: Server) {}

  static async start(): Promise<OtlpReceiver> {
    // eslint-disable-next-line prefer-const -- the request handler below reads it; it is assigned once the server exists
    let receiver: OtlpReceiver | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        if (req.method !== 'POST' || req.url !== '/v1/traces' || !String(req.headers['content-type']).startsWith('application/json')) {
          res.writeHead(415).end();
          return;
        }
        const body = Buffer.concat(chunks).toString('utf8');
        receiver!.receive(body);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    receiver = new OtlpReceiver(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The spans of one trace. */
  trace(traceId: string): ReceivedSpan[] {
    return this.spans.filter((s) => s.traceId === traceId);
  }

  /**
   * The trace as an indented tree, children under their parent in start order: start offset,
   * duration, name, kind, span id (docs/tracing.md shows one).
   */
  render(traceId: string): string {
    const spans = this.trace(traceId);
    const time = (span: ReceivedSpan, field: 'startTimeUnixNano' | 'endTimeUnixNano') =>
      Number(BigInt(String((span.raw as Record<string, unknown>)[field])) / 1000n) / 1000;
    const origin = Math.min(...spans.map((span) => time(span, 'startTimeUnixNano')));
    const kinds = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
    const lines = [`trace ${traceId}`];
    const visit = (parent: string | undefined, depth: number) => {
      const children = spans.filter(
        (span) => span.parentSpanId === parent || (parent === undefined && !spans.some((p) => p.spanId === span.parentSpanId)),
      );
      for (const span of children.sort((a, b) => time(a, 'startTimeUnixNano') - time(b, 'startTimeUnixNano'))) {
        const start = (time(span, 'startTimeUnixNano') - origin).toFixed(1).padStart(7);
        const duration = (time(span, 'endTimeUnixNano') - time(span, 'startTimeUnixNano')).toFixed(1).padStart(7);
        const linked = span.links.length > 0 ? ` linked to ${span.links.map((link) => link.spanId).join(', ')}` : '';
        lines.push(`+${start} ms ${duration} ms  ${'  '.repeat(depth)}${span.name} [${kinds[span.kind]}] (${span.spanId})${linked}`);
        visit(span.spanId, depth + 1);
      }
    };
    visit(undefined, 0);
    return lines.join('\n');
  }

  /** Waits until a span matches; returns it. */
  async waitFor(match: (span: ReceivedSpan) => boolean, what: string, timeoutMs = 20_000): Promise<ReceivedSpan> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.spans.find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no span ${what} within ${timeoutMs} ms; got ${this.spans.map((s) => s.name).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private receive(body: string): void {
    this.bodies.push(body);
    const request = JSON.parse(body) as {
      resourceSpans?: { scopeSpans?: { scope?: { name?: string }; spans?: Record<string, unknown>[] }[] }[];
    };
    for (const resourceSpans of request.resourceSpans ?? []) {
      for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
        for (const span of scopeSpans.spans ?? []) {
          const attributes = Object.fromEntries(
            ((span.attributes as { key: string; value: AnyValue }[] | undefined) ?? []).map(({ key, value }) => [key, plain(value)]),
          );
          this.spans.push({
            traceId: span.traceId as string,
            spanId: span.spanId as string,
            parentSpanId: (span.parentSpanId as string | undefined) || undefined,
            name: span.name as string,
            kind: span.kind as number,
            attributes,
            links: ((span.links as { traceId: string; spanId: string }[] | undefined) ?? []).map(({ traceId, spanId }) => ({
              traceId,
              spanId,
            })),
            scope: scopeSpans.scope?.name ?? '',
            raw: span,
          });
        }
      }
    }
  }
}
