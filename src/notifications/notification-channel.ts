/**
 * One way a message leaves the service (SMS, mail). A channel is registered with the
 * NotificationQueue by the module that owns it; feature services only enqueue.
 */
export interface NotificationChannel<Payload extends object = object> {
  /** The queue's name: `sms`, `mail`. */
  readonly name: string;
  /**
   * Delivers one message. `id` is the queue entry's id (a UUID, stable across retries: providers
   * de-duplicate on it); `signal` aborts when the attempt is given up (shutdown, expiry).
   * Throw PermanentDeliveryFailure for a refusal that no retry can fix; any other error is retried.
   */
  deliver(payload: Payload, attempt: { id: string; signal: AbortSignal }): Promise<void>;
}

/** A refusal no retry can fix (a 4xx other than 429): the entry is kept as failed at once. */
export class PermanentDeliveryFailure extends Error {
  override readonly name = 'PermanentDeliveryFailure';
}

/**
 * Counts messages as they move, by channel (API.md, Operations: queued, delivered and failed
 * messages). MetricsService is one; NotificationQueue.observe adds others (tests).
 */
export interface NotificationCounters {
  /** Once the transaction that queued it has committed. */
  messageQueued(channel: string): void;
  messageDelivered(channel: string): void;
  /** Given up on: refused for good, or its last retry failed. */
  messageFailed(channel: string): void;
}
