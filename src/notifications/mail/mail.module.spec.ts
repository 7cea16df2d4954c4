import { afterEach, describe, expect, it } from '@jest/globals';
import { Logger, type LoggerService } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { type Environment, validateEnvironment } from '../../config/environment.js';
import { LogTransport } from './log.transport.js';
import { mailTransport } from './mail.module.js';
import { SmtpTransport } from './smtp.transport.js';

/** What start-up logs, by level. */
function captureLogs() {
  const lines: { level: string; message: string }[] = [];
  const record = (level: string) => (message: unknown) => void lines.push({ level, message: String(message) });
  const logger: LoggerService = { log: record('log'), warn: record('warn'), error: record('error') };
  Logger.overrideLogger(logger);
  return lines;
}

const configOf = (raw: Record<string, string>) => new ConfigService<Environment, true>(validateEnvironment(raw));

describe('the mail transport chosen at start-up', () => {
  afterEach(() => Logger.overrideLogger(false));

  it('is SMTP when SMTP_URL is set, and says where without the credentials', () => {
    const lines = captureLogs();
    const transport = mailTransport(configOf({ SMTP_URL: 'smtp://user:secret@mail.example.com:587' }));
    expect(transport).toBeInstanceOf(SmtpTransport);
    expect(lines).toEqual([{ level: 'log', message: 'mail: SMTP via smtp://mail.example.com:587' }]);
  });

  it('is the log without SMTP_URL, links included outside production', () => {
    const lines = captureLogs();
    expect(mailTransport(configOf({ NODE_ENV: 'development' }))).toBeInstanceOf(LogTransport);
    expect(lines).toEqual([{ level: 'log', message: expect.stringContaining('links included') }]);
  });

  it('warns in production that no mail leaves without SMTP_URL', () => {
    const lines = captureLogs();
    expect(mailTransport(configOf({ NODE_ENV: 'production' }))).toBeInstanceOf(LogTransport);
    expect(lines).toEqual([{ level: 'warn', message: expect.stringMatching(/NOT sent.*redacted.*set SMTP_URL/) }]);
  });
});
