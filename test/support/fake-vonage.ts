import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the fake Vonage API received it. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
  /** What the fake did with it. */
  answer: Answer;
  at: number;
}

/** A status to answer with; `hang`: read the request and never answer; `slow`: 202 after `slowMs`. */
export type Answer = 202 | 400 | 401 | 429 | 500 | 503 | 'hang' | 'slow';

/**
 * A stand-in for the Vonage Messages API: a real HTTP server on a free port that records every
 * request and answers as told. A request to a number with a script gets the script's next answer,
 * then its `then`; any other request gets the next of `answers`, then `otherwise` (202 with a
 * message_uuid). Scripts keep tests that share one server from taking each other's answers.
 */
export class FakeVonage {
  readonly requests: RecordedRequest[] = [];
  /** Answers for the next requests to unscripted numbers, in order. */
  answers: Answer[] = [];
  otherwise: Answer = 202;
  slowMs = 1_500;
  private readonly scripts = new Map<string, { next: Answer[]; then: Answer }>();
  private readonly server: Server;
  private readonly hanging = new Set<ServerResponse>();

  private constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  static async start(): Promise<FakeVonage> {
    const fake = new FakeVonage();
    await new Promise<void>((resolve, reject) => {
      fake.server.once('error', reject);
      fake.server.listen(0, '127.0.0.1', () => resolve());
    });
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** How requests to `to` (E.164 with or without its `+`) are answered from now on. */
  script(to: string, next: Answer[], then: Answer = 202): void {
    this.scripts.set(to.replace(/^\+/, ''), { next: [...next], then });
  }

  /** Requests sent to `to` (E.164 with or without its `+`). */
  requestsTo(to: string): RecordedRequest[] {
    const number = to.replace(/^\+/, '');
    return this.requests.filter((r) => (r.body as { to?: string } | undefined)?.to === number);
  }

  /** Requests still waiting for an answer. */
  get hangingCount(): number {
    return this.hanging.size;
  }

  /** Requests that carried this `client_ref`. */
  requestsFor(clientRef: string): RecordedRequest[] {
    return this.requests.filter((r) => (r.body as { client_ref?: string } | undefined)?.client_ref === clientRef);
  }

  /** Requests that were (or, if slow, will be) answered 202. */
  delivered(): RecordedRequest[] {
    return this.requests.filter((r) => r.answer === 202 || r.answer === 'slow');
  }

  /** Answers every request still waiting (hanging or slow) with 503, so the clients stop waiting. */
  releaseHanging(): void {
    for (const res of this.hanging) this.reply(res, 503);
    this.hanging.clear();
  }

  async stop(): Promise<void> {
    this.releaseHanging();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown = raw;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      // Recorded as text: the test sees exactly what arrived.
    }
    const script = this.scripts.get(String((body as { to?: unknown } | undefined)?.to));
    const answer = script ? (script.next.shift() ?? script.then) : (this.answers.shift() ?? this.otherwise);
    this.requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, answer, at: Date.now() });
    if (answer === 'hang') {
      this.hanging.add(res);
      res.on('close', () => this.hanging.delete(res));
      return;
    }
    if (answer === 'slow') {
      this.hanging.add(res);
      setTimeout(() => {
        this.hanging.delete(res);
        this.reply(res, 202);
      }, this.slowMs);
      return;
    }
    this.reply(res, answer);
  }

  private reply(res: ServerResponse, status: Exclude<Answer, 'hang' | 'slow'>): void {
    if (res.writableEnded || res.destroyed) return;
    if (status === 202) {
      res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ message_uuid: randomUUID() }));
      return;
    }
    // The shape Vonage uses for errors (RFC 7807).
    const titles: Record<number, string> = {
      400: 'Invalid params',
      401: 'Unauthorized',
      429: 'Rate Limit Hit',
      500: 'Internal Error',
      503: 'Service Unavailable',
    };
    if (status === 429) res.setHeader('retry-after', '1');
    res.writeHead(status, { 'content-type': 'application/problem+json' }).end(
      JSON.stringify({
        type: `https://developer.vonage.com/api-errors#${status}`,
        title: titles[status],
        detail: `fake answered ${status}`,
      }),
    );
  }
}
