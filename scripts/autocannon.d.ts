// autocannon ships no type definitions and @types/autocannon is not a dependency: this declares
// the part of its library API that scripts/bench/ uses (autocannon 9, see its README).
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  namespace autocannon {
    type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

    interface Request {
      method?: Method;
      path?: string;
      headers?: Record<string, string>;
      body?: string | Buffer;
      /** Called before each send of this request; the returned object is what goes on the wire. */
      setupRequest?: (request: Request, context: Record<string, unknown>) => Request | null | undefined;
      /** Called with every response to this request, before the connection sends its next one. */
      onResponse?: (status: number, body: string, context: Record<string, unknown>, headers: Record<string, string>) => void;
    }

    /** One connection; created once per connection of a run. */
    interface Client extends EventEmitter {
      setHeaders(headers: Record<string, string>): void;
      setBody(body: string | Buffer): void;
      setRequests(requests: Request[]): void;
    }

    interface Options {
      url: string;
      connections?: number;
      /** Seconds. */
      duration?: number;
      /** Seconds before an unanswered request counts as a timeout (and the connection reconnects). */
      timeout?: number;
      pipelining?: number;
      overallRate?: number;
      /** Each connection closes after this many responses; the run ends when all have. */
      maxConnectionRequests?: number;
      method?: Method;
      headers?: Record<string, string>;
      body?: string | Buffer;
      requests?: Request[];
      setupClient?: (client: Client) => void;
    }

    interface Histogram {
      average: number;
      mean: number;
      stddev: number;
      min: number;
      max: number;
      total: number;
      p50: number;
      p90: number;
      p99: number;
      [percentile: string]: number;
    }

    interface Result {
      duration: number;
      errors: number;
      timeouts: number;
      non2xx: number;
      statusCodeStats: Record<string, { count: number }>;
      latency: Histogram;
      requests: Histogram & { sent: number };
      throughput: Histogram;
    }

    interface Instance extends EventEmitter, PromiseLike<Result> {
      stop(): void;
    }
  }

  function autocannon(options: autocannon.Options): autocannon.Instance;

  export = autocannon;
}
