import { describe, expect, it } from '@jest/globals';
import { LogTransport } from '../notifications/mail/log.transport.js';
import { render } from '../notifications/mail/templates.js';
import { createLogger, LogBlocks, PinoNestLogger, PrettyLines, prettyLogs } from './logger.js';

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

describe('LogBlocks', () => {
  function blocks() {
    const written: string[] = [];
    return { written, out: new LogBlocks({ write: (block: string) => void written.push(block) }) };
  }
  const line = (n: number, size = 150) => `${String(n).padEnd(size - 1, '.')}\n`;

  it('writes nothing until a block has gathered, then the lines in order in one write', () => {
    const { written, out } = blocks();
    for (let n = 0; n < 23; n++) out.write(line(n));
    expect(written).toEqual([]);
    out.write(line(23));
    expect(written).toEqual([Array.from({ length: 24 }, (_, n) => line(n)).join('')]);
  });

  it('never writes a block over PIPE_BUF (4096 bytes) unless one line alone is longer, and loses nothing', () => {
    const { written, out } = blocks();
    const sent: string[] = [];
    // Sizes that straddle the block boundary, multi-byte characters (counted in bytes), and one line over 4096 bytes.
    const sizes = [100, 3000, 1200, 900, 2000, 5000, 300, 10, 4000, 96, 1, 3583];
    sizes.forEach((size, n) => {
      const text = n % 3 === 0 ? `${'€'.repeat(Math.ceil(size / 3))}\n` : line(n, size);
      sent.push(text);
      out.write(text);
    });
    out.flush();
    expect(written.join('')).toBe(sent.join(''));
    const overPipeBuf = (texts: string[]) => texts.filter((text) => Buffer.byteLength(text) > 4096);
    expect(overPipeBuf(written)).toEqual(overPipeBuf(sent));
    expect(overPipeBuf(sent)).toHaveLength(1);
    expect(written.length).toBeGreaterThan(3);
  });

  it('flush writes what has gathered, and nothing when nothing has', () => {
    const { written, out } = blocks();
    out.flush();
    expect(written).toEqual([]);
    out.write('{"msg":"one"}\n');
    out.write('{"msg":"two"}\n');
    out.flush();
    out.flush();
    expect(written).toEqual(['{"msg":"one"}\n{"msg":"two"}\n']);
  });
});

describe('development logs', () => {
  it('are readable lines only in development on a terminal; JSON in production, in tests and when piped', () => {
    expect(prettyLogs({ NODE_ENV: 'development' }, true)).toBe(true);
    expect(prettyLogs({ NODE_ENV: 'development' }, false)).toBe(false);
    expect(prettyLogs({ NODE_ENV: 'production' }, true)).toBe(false);
    expect(prettyLogs({ NODE_ENV: 'test' }, true)).toBe(false);
  });

  it('read as time, level, context and message, other fields as key=value', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ LOG_LEVEL: 'info' }, new PrettyLines(stream, false));
    new PinoNestLogger(logger, {}).log('Nest application successfully started', 'NestApplication');
    logger.info({ reqId: 'req-1', method: 'GET', route: '/todos', status: 200, durationMs: 1.25 }, 'request');
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}\[NestApplication\] Nest application successfully started\n$/);
    expect(lines[1]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}request reqId=req-1 method=GET route=\/todos status=200 durationMs=1\.25\n$/);
  });

  it('show a logged mail as its text, the link alone on its own line', async () => {
    const { lines, stream } = capture();
    const nest = new PinoNestLogger(createLogger({ LOG_LEVEL: 'info' }, new PrettyLines(stream, false)), {});
    const link = 'http://localhost:3000/verify-email?token=abc.def';
    const mail = render('verify-email', { email: 'ada@example.com', link, ttlSeconds: 86400 });
    await new LogTransport(true, (line) => nest.log(line, 'Mail')).send(
      { id: 'm1', to: 'ada@example.com', ...mail },
      new AbortController().signal,
    );
    const printed = lines.join('').split('\n');
    expect(printed[0]).toMatch(/INFO {2}\[Mail\] mail m1 to ada@example.com \(not sent: no SMTP_URL\): Confirm your email address$/);
    expect(printed.map((line) => line.trim())).toContain(link);
    expect(lines.join('')).not.toContain('\\n');
  });

  it('keep JSON lines as they are otherwise', () => {
    const { lines, stream } = capture();
    createLogger({ LOG_LEVEL: 'info' }, stream).info({ to: 'x' }, 'a\nb');
    expect(JSON.parse(lines[0])).toMatchObject({ level: 30, msg: 'a\nb', to: 'x' });
  });
});
