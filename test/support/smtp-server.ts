import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { freePort } from './database.js';

export interface ReceivedMail {
  /** The SMTP envelope: who the message was really sent from and to. */
  from: string;
  to: string[];
  mail: ParsedMail;
}

/**
 * A real SMTP server on a local port (the `smtp-server` package) that keeps every message it
 * accepts, parsed with mailparser. It can be stopped and started again on the same port, so a
 * test can show that mail sent while it was down arrives once it is back.
 */
export class TestSmtpServer {
  readonly inbox: ReceivedMail[] = [];
  /** Recipients answered `550 No such user` at RCPT TO. */
  readonly refuse = new Set<string>();
  private server?: SMTPServer;

  private constructor(readonly port: number) {}

  /** Listening at once unless `down` is set (then `start()` it later). */
  static async create(options: { down?: boolean } = {}): Promise<TestSmtpServer> {
    const smtp = new TestSmtpServer(await freePort());
    if (!options.down) await smtp.start();
    return smtp;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = new SMTPServer({
      secure: false,
      disabledCommands: ['STARTTLS', 'AUTH'],
      authOptional: true,
      logger: false,
      closeTimeout: 1_000,
      onRcptTo: (address, _session, callback) => {
        if (!this.refuse.has(address.address.toLowerCase())) return callback();
        callback(Object.assign(new Error('No such user'), { responseCode: 550 }));
      },
      onData: (stream, session, callback) => {
        simpleParser(stream).then(
          (mail) => {
            const { mailFrom, rcptTo } = session.envelope;
            this.inbox.push({ from: mailFrom ? mailFrom.address : '', to: rcptTo.map((r) => r.address), mail });
            callback();
          },
          (error: Error) => callback(error),
        );
      },
    });
    server.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    if ((server.server.address() as AddressInfo).port !== this.port) throw new Error('smtp server on an unexpected port');
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The messages to `address` so far, those with `subject` only when it is given. */
  mailsTo(address: string, subject?: string): ReceivedMail[] {
    return this.inbox.filter((m) => m.to.includes(address.toLowerCase()) && (subject === undefined || m.mail.subject === subject));
  }

  /** Waits until `count` messages to `address` (with `subject`, if given) have arrived; returns the last of them. */
  async waitForMail(
    address: string,
    { count = 1, subject, timeoutMs = 20_000 }: { count?: number; subject?: string; timeoutMs?: number } = {},
  ): Promise<ReceivedMail> {
    const deadline = Date.now() + timeoutMs;
    while (this.mailsTo(address, subject).length < count) {
      if (Date.now() > deadline) {
        throw new Error(`${count} mail(s) to ${address} expected within ${timeoutMs} ms, got ${this.mailsTo(address, subject).length}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return this.mailsTo(address, subject)[count - 1];
  }
}
