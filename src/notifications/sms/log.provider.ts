import { Logger } from '@nestjs/common';
import { maskPhoneNumber } from './phone-number.js';
import type { OutgoingSms, SmsProvider } from './sms-provider.js';

/** SMS_PROVIDER=log (the default): each message is written to the log, its number masked, and not sent. */
export class LogProvider implements SmsProvider {
  readonly description = 'SMS_PROVIDER=log: text messages are written to the log and not sent';

  constructor(private readonly write: (line: string) => void = (line) => new Logger('Sms').log(line)) {}

  async send(sms: OutgoingSms, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    this.write(`sms ${sms.id} to ${maskPhoneNumber(sms.to)} (not sent: SMS_PROVIDER=log): ${JSON.stringify(sms.text)}`);
  }
}
