/** One text message, ready to leave. */
export interface OutgoingSms {
  /** E.164, with its `+`. */
  to: string;
  text: string;
  /** The queue entry's id: the same on every retry, so the provider can drop a duplicate (`client_ref`). */
  id: string;
}

/**
 * How a text message leaves the service: Vonage (vonage.provider.ts) or the log (log.provider.ts),
 * chosen from SMS_PROVIDER in sms.module.ts. Throw PermanentDeliveryFailure for a refusal no retry
 * can fix; any other error is retried.
 */
export interface SmsProvider {
  /** One line for the start-up log: where text messages go. */
  readonly description: string;
  send(sms: OutgoingSms, signal: AbortSignal): Promise<void>;
}

export const SMS_PROVIDER = Symbol('SmsProvider');
