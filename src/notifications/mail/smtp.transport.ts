import nodemailer, { type Transporter } from 'nodemailer';
import { clientSpan } from '../../tracing/client-span.js';
import { PermanentDeliveryFailure } from '../notification-channel.js';
import type { MailTransport, OutgoingMail } from './mail-transport.js';

/** Mail through an SMTP server (nodemailer), one connection per message. */
export class SmtpTransport implements MailTransport {
  readonly description: string;
  private readonly transporter: Transporter;
  private readonly domain: string;
  /** The SMTP span's attributes: the server, never the recipient or the message. */
  private readonly server: { 'server.address': string; 'server.port': number };

  constructor(
    url: string,
    private readonly from: string,
  ) {
    const parsed = new URL(url);
    // Never the credentials: this line goes to the log.
    this.description = `SMTP via ${parsed.protocol}//${parsed.host}`;
    this.domain = /@([^>\s]+)>?$/.exec(from)?.[1] ?? 'localhost';
    this.server = { 'server.address': parsed.hostname, 'server.port': Number(parsed.port) || (parsed.protocol === 'smtps:' ? 465 : 587) };
    this.transporter = nodemailer.createTransport({
      url,
      // An unreachable host otherwise holds a queue worker for two minutes; the queue retries.
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    });
  }

  async send(mail: OutgoingMail, signal: AbortSignal): Promise<void> {
    try {
      await clientSpan('smtp send', this.server, () =>
        this.transporter.sendMail({
          from: this.from,
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          messageId: `<${mail.id}@${this.domain}>`,
          signal,
        }),
      );
    } catch (error) {
      throw permanence(error);
    }
  }
}

/**
 * A 5xx reply to the envelope or the message (550 no such user, 552 too big) is final; failures
 * to connect, time-outs and 4xx replies are worth retrying. So is a refused login (535): the
 * operator can fix SMTP_URL while the queue still holds the message.
 */
function permanence(error: unknown): unknown {
  const failure = error as { responseCode?: unknown; code?: unknown; message?: unknown };
  const code = typeof failure?.responseCode === 'number' ? failure.responseCode : 0;
  if (code >= 500 && code < 600 && failure.code !== 'EAUTH') {
    return new PermanentDeliveryFailure(`SMTP ${code}: ${String(failure.message)}`);
  }
  return error;
}
