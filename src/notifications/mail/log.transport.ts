import { Logger } from '@nestjs/common';
import type { MailTransport, OutgoingMail } from './mail-transport.js';

/**
 * No SMTP server: each message is written to the log instead. Outside production the text part
 * is logged whole, link included, so a developer can follow it. In production the link tokens
 * are blanked out: a log line must never be enough to take over an account.
 */
export class LogTransport implements MailTransport {
  readonly description: string;

  constructor(
    private readonly revealTokens: boolean,
    private readonly write: (line: string) => void = (line) => new Logger('Mail').log(line),
  ) {
    this.description = revealTokens
      ? 'no SMTP_URL: mail is written to the log, links included, and not sent'
      : 'no SMTP_URL: mail is NOT sent, only written to the log with its link tokens redacted';
  }

  async send(mail: OutgoingMail, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const text = this.revealTokens ? mail.text : redactTokens(mail.text);
    this.write(`mail ${mail.id} to ${mail.to} (not sent: no SMTP_URL): ${mail.subject}\n${text}`);
  }
}

export function redactTokens(text: string): string {
  return text.replace(/([?&]token=)[^\s&#]+/g, '$1[redacted]');
}
