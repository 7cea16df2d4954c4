import { Inject, Injectable } from '@nestjs/common';
import { context } from '@opentelemetry/api';
import type pg from 'pg';
import { PG_POOL } from '../database/pool.js';

type ConnectCallback = (error: Error | undefined, client: pg.PoolClient | undefined, release: (release?: unknown) => void) => void;

/**
 * Each pooled query runs in the context of the request that made it. A query that has to wait for
 * a connection is handed one by pg-pool from inside the callback of the query that released it, so
 * it ran in the releasing request's context: its SQL span landed in that other request's trace,
 * and a request the sampler had left out got one in somebody else's (under load at a ratio of 0.1,
 * one trace collected 11,787 SQL spans while most traced requests lost theirs). The pg
 * instrumentation binds that callback itself only when it makes pool-connect spans, which sdk.ts
 * turns off. Not node's AsyncResource.bind: each of its resources is tracked until collected,
 * which kept them alive past the young generation (a full mark-compact every second at 6,000
 * req/s, docs/tracing.md). Registered only while tracing is on.
 */
@Injectable()
export class PoolContext {
  constructor(@Inject(PG_POOL) pool: pg.Pool) {
    const connect = pool.connect.bind(pool) as (callback?: ConnectCallback) => Promise<pg.PoolClient> | undefined;
    pool.connect = ((callback?: ConnectCallback) => {
      if (callback === undefined) return connect();
      const caller = context.active();
      // Most callbacks already run in their caller's context (both left out by the sampler, the
      // usual case): switching to it again would cost an AsyncLocalStorage frame for nothing.
      return connect((error, client, release) =>
        context.active() === caller ? callback(error, client, release) : context.with(caller, callback, undefined, error, client, release),
      );
    }) as pg.Pool['connect'];
  }
}
