/** One rendered message, ready to leave. */
export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The queue entry's id: the same on every retry, so a receiver can drop a duplicate. */
  id: string;
}

/**
 * How mail leaves the service: SMTP (smtp.transport.ts) or the log (log.transport.ts), chosen
 * from SMTP_URL in mail.module.ts. Throw PermanentDeliveryFailure for a refusal no retry can fix.
 */
export interface MailTransport {
  /** One line for the start-up log: where mail goes. */
  readonly description: string;
  send(mail: OutgoingMail, signal: AbortSignal): Promise<void>;
}

export const MAIL_TRANSPORT = Symbol('MailTransport');
