import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pg from 'pg';
import { createApp } from '../src/app.factory.js';
import { validateEnvironment } from '../src/config/environment.js';
import { Db } from '../src/database/db.js';
import { type NotificationChannel, PermanentDeliveryFailure } from '../src/notifications/notification-channel.js';
import { NotificationQueue } from '../src/notifications/notification-queue.js';

/** A channel that records what it is given and fails as told. */
class RecordingChannel implements NotificationChannel<{ text: string }> {
  readonly name = 'test';
  readonly delivered: { id: string; text: string }[] = [];
  readonly attempts = new Map<string, number>();
  failures: Record<string, 'retry' | 'permanent' | undefined> = {};

  async deliver(payload: { text: string }, attempt: { id: string }) {
    this.attempts.set(payload.text, (this.attempts.get(payload.text) ?? 0) + 1);
    const failure = this.failures[payload.text];
    if (failure === 'permanent') throw new PermanentDeliveryFailure('refused');
    if (failure === 'retry') {
      this.failures[payload.text] = undefined;
      throw new Error('provider down');
    }
    this.delivered.push({ id: attempt.id, text: payload.text });
  }
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the notification queue', () => {
  let app: NestFastifyApplication;
  let queue: NotificationQueue;
  let db: pg.Client;
  const channel = new RecordingChannel();
  const counted: string[] = [];

  beforeAll(async () => {
    app = await createApp(validateEnvironment({ ...process.env, QUEUE_POLL_INTERVAL_MS: '500' }));
    queue = app.get(NotificationQueue);
    queue.register(channel);
    queue.observe({
      messageQueued: (name) => counted.push(`queued ${name}`),
      messageDelivered: (name) => counted.push(`delivered ${name}`),
      messageFailed: (name) => counted.push(`failed ${name}`),
    });
    await app.init();
    db = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await app?.close();
  });

  async function enqueueIn(outcome: 'COMMIT' | 'ROLLBACK', text: string): Promise<string> {
    let id = '';
    const rolledBack = new Error('roll back');
    await app
      .get(Db)
      .transaction(async (tx) => {
        id = await queue.enqueue(tx, 'test', { text });
        if (outcome === 'ROLLBACK') throw rolledBack;
      })
      .catch((error: unknown) => {
        if (error !== rolledBack) throw error;
      });
    return id;
  }

  async function stateOf(id: string): Promise<string | undefined> {
    const { rows } = await db.query<{ state: string }>('SELECT state FROM pgboss.job WHERE id = $1', [id]);
    return rows[0]?.state;
  }

  it('delivers a message whose transaction commits, once, under the entry id', async () => {
    const id = await enqueueIn('COMMIT', 'committed');
    await until(() => channel.delivered.some((d) => d.text === 'committed'));
    expect(channel.delivered.filter((d) => d.text === 'committed')).toEqual([{ id, text: 'committed' }]);
    await until(async () => (await stateOf(id)) === 'completed');
  });

  it('leaves no message behind a transaction that rolls back', async () => {
    const id = await enqueueIn('ROLLBACK', 'rolled back');
    await expect(stateOf(id)).resolves.toBeUndefined();
    // A later message is delivered, and the rolled-back one never was.
    await enqueueIn('COMMIT', 'after the rollback');
    await until(() => channel.delivered.some((d) => d.text === 'after the rollback'));
    expect(channel.attempts.has('rolled back')).toBe(false);
  });

  it('retries a failed attempt and delivers on the next one', async () => {
    channel.failures['flaky'] = 'retry';
    const id = await enqueueIn('COMMIT', 'flaky');
    await until(() => channel.delivered.some((d) => d.text === 'flaky'), 20_000);
    expect(channel.attempts.get('flaky')).toBe(2);
    await until(async () => (await stateOf(id)) === 'completed');
  });

  it('keeps a permanently refused message as failed without retrying it', async () => {
    channel.failures['refused'] = 'permanent';
    const id = await enqueueIn('COMMIT', 'refused');
    await until(async () => (await stateOf(id)) === 'failed');
    const { rows } = await db.query<{ retry_count: number; output: { error: string } }>(
      'SELECT retry_count, output FROM pgboss.job WHERE id = $1',
      [id],
    );
    expect(rows[0]).toMatchObject({ retry_count: 0, output: { error: 'refused' } });
    expect(channel.attempts.get('refused')).toBe(1);
  });

  it('counts what was queued (once committed), delivered and given up on, by channel', async () => {
    counted.length = 0;
    channel.failures['counted refusal'] = 'permanent';
    await enqueueIn('ROLLBACK', 'counted rollback');
    const delivered = await enqueueIn('COMMIT', 'counted delivery');
    const refused = await enqueueIn('COMMIT', 'counted refusal');
    await until(async () => (await stateOf(delivered)) === 'completed' && (await stateOf(refused)) === 'failed');
    expect(counted.sort()).toEqual(['delivered test', 'failed test', 'queued test', 'queued test']);
  });
});

describe('a backlog', () => {
  let app: NestFastifyApplication;
  const delivered = new Set<string>();
  const channel: NotificationChannel<{ n: number }> = {
    name: 'backlog',
    deliver: async (payload) => {
      delivered.add(String(payload.n));
    },
  };

  beforeAll(async () => {
    // A poll so slow that only bursting through full batches can drain the backlog in time.
    app = await createApp(validateEnvironment({ ...process.env, QUEUE_POLL_INTERVAL_MS: '60000' }));
    app.get(NotificationQueue).register(channel);
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
  });

  it('drains batch after batch without waiting a poll interval between full batches', async () => {
    const queue = app.get(NotificationQueue);
    // One transaction, so the workers get one wake-up (Postgres folds identical NOTIFYs) for 30 entries.
    await app.get(Db).transaction(async (tx) => {
      for (let n = 0; n < 30; n++) await queue.enqueue(tx, 'backlog', { n });
    });
    await until(() => delivered.size === 30, 20_000);
  });
});
