import { describe, expect, it } from '@jest/globals';
import { createLogger } from './logger.js';

function capture() {
  const lines: string[] = [];
  return { lines, stream: { write: (line: string) => void lines.push(line) } };
}

describe('createLogger', () => {
  it('redacts credentials, cookies and tokens wherever a request, response or body is logged', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ LOG_LEVEL: 'info' }, stream);
    logger.info({
      req: { headers: { authorization: 'Bearer secret-access', cookie: 'refresh_token=secret-refresh' }, body: { password: 'hunter22' } },
      res: { headers: { 'set-cookie': 'refresh_token=secret-refresh' } },
      body: { currentPassword: 'old-secret', newPassword: 'new-secret', refreshToken: 'secret-refresh', token: 'secret-link-token' },
      accessToken: 'secret-access',
      email: 'ada@example.com',
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/secret|hunter22/);
    expect(lines[0]).toContain('[redacted]');
    expect(JSON.parse(lines[0]).email).toBe('ada@example.com');
  });

  it('honours the configured level', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ LOG_LEVEL: 'warn' }, stream);
    logger.info('quiet');
    logger.warn('loud');
    expect(lines.map((line) => JSON.parse(line).msg)).toEqual(['loud']);
  });
});
