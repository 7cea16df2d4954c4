import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TestSmtpServer } from '../../../test/support/smtp-server.js';
import { PermanentDeliveryFailure } from '../notification-channel.js';
import { LogTransport } from './log.transport.js';
import type { MailTransport, OutgoingMail } from './mail-transport.js';
import { SmtpTransport } from './smtp.transport.js';

const FROM = 'Todo API <no-reply@example.com>';
let counter = 0;

function message(overrides: Partial<OutgoingMail> = {}): OutgoingMail {
  counter += 1;
  return {
    id: `5b0c6a8e-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    to: `reader-${counter}@example.com`,
    subject: 'Confirm your email address',
    text: 'Open http://localhost:3000/verify-email?token=0123456789abcdefABCDEF_-xyz to confirm.',
    html: '<p><a href="http://localhost:3000/verify-email?token=0123456789abcdefABCDEF_-xyz">Confirm</a></p>',
    ...overrides,
  };
}

interface Harness {
  transport: MailTransport;
  /** What the reader of `to` gets to see: the text part. */
  received(to: string): Promise<string>;
  close(): Promise<void>;
}

const implementations: [string, () => Promise<Harness>][] = [
  [
    'smtp',
    async () => {
      const smtp = await TestSmtpServer.create();
      return {
        transport: new SmtpTransport(smtp.url, FROM),
        received: async (to) => (await smtp.waitForMail(to)).mail.text ?? '',
        close: () => smtp.stop(),
      };
    },
  ],
  [
    'log',
    async () => {
      const lines: string[] = [];
      return {
        transport: new LogTransport(true, (line) => lines.push(line)),
        received: async (to) => lines.find((line) => line.includes(` to ${to} `)) ?? '',
        close: async () => undefined,
      };
    },
  ],
];

describe.each(implementations)('the %s mail transport', (_name, start) => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await start();
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('gets the text part, link included, to the recipient', async () => {
    const mail = message();
    await harness.transport.send(mail, new AbortController().signal);
    await expect(harness.received(mail.to)).resolves.toContain('http://localhost:3000/verify-email?token=0123456789abcdefABCDEF_-xyz');
  });

  it('does not send for an attempt that was already given up', async () => {
    const controller = new AbortController();
    controller.abort(new Error('shutting down'));
    await expect(harness.transport.send(message(), controller.signal)).rejects.toThrow();
  });

  it('describes where mail goes without credentials', () => {
    expect(harness.transport.description).not.toMatch(/secret|password/);
  });
});

describe('the smtp mail transport', () => {
  let smtp: TestSmtpServer;
  beforeAll(async () => {
    smtp = await TestSmtpServer.create();
  });
  afterAll(async () => {
    await smtp?.stop();
  });

  it('sends both parts from MAIL_FROM, under a Message-ID made of the queue entry id', async () => {
    const mail = message();
    await new SmtpTransport(smtp.url, FROM).send(mail, new AbortController().signal);
    const received = await smtp.waitForMail(mail.to);
    expect(received.from).toBe('no-reply@example.com');
    expect(received.mail.from?.value).toEqual([{ name: 'Todo API', address: 'no-reply@example.com' }]);
    expect(received.mail.subject).toBe(mail.subject);
    expect(received.mail.html).toContain('<a href="http://localhost:3000/verify-email?token=');
    expect(received.mail.messageId).toBe(`<${mail.id}@example.com>`);
  });

  it('keeps the credentials out of its description', () => {
    expect(new SmtpTransport('smtp://user:secret@mail.example.com:587', FROM).description).toBe('SMTP via smtp://mail.example.com:587');
  });

  it('treats a refused recipient (550) as permanent', async () => {
    const mail = message();
    smtp.refuse.add(mail.to);
    const sent = new SmtpTransport(smtp.url, FROM).send(mail, new AbortController().signal);
    await expect(sent).rejects.toBeInstanceOf(PermanentDeliveryFailure);
    await expect(sent).rejects.toThrow(/550/);
  });

  it('treats a server that is down as worth retrying', async () => {
    const down = await TestSmtpServer.create({ down: true });
    const sent = new SmtpTransport(down.url, FROM).send(message(), new AbortController().signal);
    await expect(sent).rejects.toThrow(/ECONNREFUSED/);
    await expect(sent).rejects.not.toBeInstanceOf(PermanentDeliveryFailure);
  });
});

describe('the log mail transport', () => {
  it('in production, writes every message with its link tokens redacted', async () => {
    const lines: string[] = [];
    const mail = message({ text: 'Open https://app.example.com/reset-password?token=SECRETsecret_-123&x=1 now.' });
    await new LogTransport(false, (line) => lines.push(line)).send(mail, new AbortController().signal);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(mail.to);
    expect(lines[0]).toContain('https://app.example.com/reset-password?token=[redacted]&x=1');
    expect(lines[0]).not.toContain('SECRET');
  });
});
