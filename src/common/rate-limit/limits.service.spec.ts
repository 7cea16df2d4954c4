import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { ConfigService } from '@nestjs/config';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { Environment } from '../../config/environment.js';
import type { MetricsService } from '../../metrics/metrics.service.js';
import { LIMITS } from './limits.js';
import { LimitExceededException, Limits } from './limits.service.js';
import type { RateLimitStorage } from './rate-limit.storage.js';

/** The limits on in-memory counters (the shared stores are the e2e suite's): what Limits decides, counts and logs. */
describe('Limits', () => {
  let limits: Limits;
  let refused: string[];
  let warnings: string[];
  const settings: Partial<Environment> = { PASSWORD_CHECK_LIMIT: 3, PASSWORD_CHECK_WINDOW: 900, TODO_RATE_LIMIT: 2 };

  beforeEach(() => {
    const counters = new Map<string, RateLimiterMemory>();
    const storage = {
      counter: (name: string, points: number, duration: number) => {
        const id = `${name}:${points}:${duration}`;
        if (!counters.has(id)) counters.set(id, new RateLimiterMemory({ points, duration }));
        return counters.get(id)!;
      },
    } as unknown as RateLimitStorage;
    const config = { get: (key: keyof Environment) => settings[key] } as unknown as ConfigService<Environment, true>;
    refused = [];
    const metrics = { limitRefused: (name: string) => refused.push(name) } as unknown as MetricsService;
    limits = new Limits(storage, config, metrics);
    warnings = [];
    jest
      .spyOn((limits as unknown as { logger: { warn: (m: string) => void } }).logger, 'warn')
      .mockImplementation((m) => void warnings.push(m));
  });

  it('declares every limit with what it counts, its points and window, and a refusal that names it', () => {
    for (const [name, limit] of Object.entries(LIMITS)) {
      expect(limit.per).not.toBe('');
      expect(limit.refusal).toContain(`(${name})`);
      expect([typeof limit.points, typeof limit.windowSeconds].every((t) => t === 'number' || t === 'string')).toBe(true);
    }
  });

  it('lets the points of a window through, then throws a 429 with Retry-After and the limit’s message', async () => {
    await limits.consume('todos-per-user', 'user-1');
    await limits.consume('todos-per-user', 'user-1');
    const refusal = await limits.consume('todos-per-user', 'user-1').catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(LimitExceededException);
    const exception = refusal as LimitExceededException;
    expect(exception.getStatus()).toBe(429);
    expect(exception.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(exception.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(exception.message).toContain('todos-per-user');
    // Another key has its own count.
    await expect(limits.consume('todos-per-user', 'user-2')).resolves.toBeUndefined();
  });

  it('counts failures only: passed checks give their point back, failed ones keep it, and past the limit the check does not run', async () => {
    const check = jest.fn(async (passes: boolean) => passes);
    for (let i = 0; i < 5; i++) await expect(limits.countFailures('password-check-per-user', 'u', () => check(true))).resolves.toBe(true);
    for (let i = 0; i < 3; i++) await expect(limits.countFailures('password-check-per-user', 'u', () => check(false))).resolves.toBe(false);
    check.mockClear();
    await expect(limits.countFailures('password-check-per-user', 'u', () => check(true))).rejects.toBeInstanceOf(LimitExceededException);
    expect(check).not.toHaveBeenCalled();
  });

  it('gives the point back when the check throws (it never ran to a verdict)', async () => {
    for (let i = 0; i < 5; i++) {
      await expect(limits.countFailures('password-check-per-user', 'u', () => Promise.reject(new Error('busy')))).rejects.toThrow('busy');
    }
    await expect(limits.countFailures('password-check-per-user', 'u', async () => false)).resolves.toBe(false);
  });

  it('forgets a count on reset', async () => {
    for (let i = 0; i < 3; i++) await limits.countFailures('password-check-per-user', 'u', async () => false);
    await limits.reset('password-check-per-user', 'u');
    await expect(limits.countFailures('password-check-per-user', 'u', async () => true)).resolves.toBe(true);
  });

  it('counts every refusal in the metric but logs a key at most once a minute, without the key itself', async () => {
    await limits.consume('todos-per-user', 'ada@example.com');
    await limits.consume('todos-per-user', 'ada@example.com');
    for (let i = 0; i < 5; i++) await expect(limits.take('todos-per-user', 'ada@example.com')).resolves.toMatchObject({ allowed: false });
    expect(refused).toEqual(Array(5).fill('todos-per-user'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('todos-per-user');
    expect(warnings[0]).not.toContain('ada@example.com');

    // Another key is a line of its own; a minute later the first key may be logged again.
    await limits.consume('todos-per-user', 'bob');
    await limits.consume('todos-per-user', 'bob');
    await limits.take('todos-per-user', 'bob');
    expect(warnings).toHaveLength(2);
    const now = Date.now();
    jest.spyOn(Date, 'now').mockReturnValue(now + 61_000);
    // The counter's window has passed too: two more are allowed, the third refused and logged.
    for (let i = 0; i < 3; i++) await limits.take('todos-per-user', 'ada@example.com');
    expect(warnings).toHaveLength(3);
    jest.restoreAllMocks();
  });

  it('builds the bcrypt refusals: 503 for a full queue, 429 for a second check in flight, both Retry-After 1', () => {
    const full = limits.refuse('bcrypt-queue', 'user:1');
    expect([full.getStatus(), full.retryAfterSeconds]).toEqual([503, 1]);
    expect(full.message).toContain('bcrypt-queue');
    const twice = limits.refuse('password-check-in-flight', 'user:1');
    expect([twice.getStatus(), twice.retryAfterSeconds]).toEqual([429, 1]);
    expect(refused).toEqual(['bcrypt-queue', 'password-check-in-flight']);
  });
});
