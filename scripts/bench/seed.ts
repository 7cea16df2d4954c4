/** The data the load runs against: users, each logged in once, with their todos. */
import pLimit from 'p-limit';
import { randomBytes } from 'node:crypto';
import { log, SEED_CONCURRENCY, TODO_SEED_CONCURRENCY, TODOS_PER_USER, USERS } from './config.js';

export interface Session {
  email: string;
  password: string;
  accessToken: string;
  /** The latest, still unspent refresh token of this session's rotation chain. */
  refreshToken: string;
  /** A refresh was sent and no answer came back: its token may be spent, so the chain is unusable. */
  inFlight: boolean;
}

async function call(baseUrl: string, method: string, path: string, body: unknown, token?: string): Promise<{ status: number; json: unknown }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body: JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as unknown) : undefined };
}

async function expectStatus<T = unknown>(baseUrl: string, method: string, path: string, body: unknown, status: number, token?: string): Promise<T> {
  const response = await call(baseUrl, method, path, body, token);
  if (response.status !== status) {
    throw new Error(`${method} ${path}: expected ${status}, got ${response.status} ${JSON.stringify(response.json)}`);
  }
  return response.json as T;
}

async function login(baseUrl: string, email: string, password: string): Promise<{ accessToken: string; refreshToken: string }> {
  return expectStatus<{ accessToken: string; refreshToken: string }>(baseUrl, 'POST', '/auth/login', { email, password }, 200);
}

const seededTodo = (n: number) => ({ title: `Seeded todo ${n}`, description: 'seeded by the benchmark' });

/** `users` users, each signed up and logged in once, with TODOS_PER_USER todos each made by `todo`. */
export async function seed(baseUrl: string, users = USERS, todo: (n: number) => object = seededTodo): Promise<Session[]> {
  const run = randomBytes(4).toString('hex');
  const userNumbers = Array.from({ length: users }, (_, i) => i);
  const sessions = await pLimit(SEED_CONCURRENCY).map(userNumbers, async (i): Promise<Session> => {
    const email = `bench-${run}-${i}@example.com`;
    const password = `bench-pw-${randomBytes(9).toString('base64url')}`;
    await expectStatus(baseUrl, 'POST', '/auth/signup', { email, password, name: `Bench user ${i}` }, 201);
    const pair = await login(baseUrl, email, password);
    return { email, password, accessToken: pair.accessToken, refreshToken: pair.refreshToken, inFlight: false };
  });
  const todos = sessions.flatMap((session) => Array.from({ length: TODOS_PER_USER }, (_, n) => ({ session, n })));
  await pLimit(TODO_SEED_CONCURRENCY).map(todos, ({ session, n }) =>
    expectStatus(baseUrl, 'POST', '/todos', todo(n), 201, session.accessToken),
  );
  return sessions;
}

/** A chain whose last refresh went unanswered may have been spent: open a fresh session instead. */
export async function repairSessions(baseUrl: string, sessions: Session[]): Promise<void> {
  const broken = sessions.filter((session) => session.inFlight);
  if (broken.length === 0) return;
  log(`re-opening ${broken.length} session(s) whose last refresh went unanswered`);
  await pLimit(SEED_CONCURRENCY).map(broken, async (session) => {
    const pair = await login(baseUrl, session.email, session.password);
    Object.assign(session, { accessToken: pair.accessToken, refreshToken: pair.refreshToken, inFlight: false });
  });
}
