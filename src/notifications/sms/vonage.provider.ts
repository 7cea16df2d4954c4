import { Auth } from '@vonage/auth';
import { Messages, SMS } from '@vonage/messages';
import { PermanentDeliveryFailure } from '../notification-channel.js';
import type { OutgoingSms, SmsProvider } from './sms-provider.js';

export interface VonageOptions {
  apiKey: string;
  apiSecret: string;
  from: string;
  /** Base URL without a trailing slash; the client POSTs to `${apiUrl}/v1/messages`. */
  apiUrl: string;
  timeoutMs?: number;
}

/** API.md, Notifications: an attempt that has no answer after 10 s is abandoned and retried. */
export const VONAGE_TIMEOUT_MS = 10_000;

/**
 * Whether an HTTP status is a refusal no retry can fix. 429 (rate limited) and 408 (the server
 * timed the request out) are about timing, and 5xx about the provider's health: all retried.
 * Every other 4xx (bad number, bad credentials, unknown sender) would fail the same way again.
 */
export function isPermanentStatus(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/**
 * The error the queue should see for what the SDK threw: PermanentDeliveryFailure for a permanent
 * HTTP status, otherwise an Error that says what happened (status, timeout, network), to be retried.
 * The SDK does not export its VetchError, so the HTTP status is read off `error.response`.
 */
export async function deliveryError(error: unknown): Promise<Error> {
  const response = (error as { response?: Response } | null)?.response;
  if (response && typeof response.status === 'number') {
    const detail = await problemDetail(response);
    const message = `Vonage answered ${response.status}${detail ? `: ${detail}` : ''}`;
    return isPermanentStatus(response.status) ? new PermanentDeliveryFailure(message) : new Error(message);
  }
  const failure = error as { name?: string; message?: string; cause?: { code?: string } } | null;
  if (failure?.name === 'AbortError' || failure?.name === 'TimeoutError') return new Error('Vonage did not answer in time');
  const code = failure?.cause?.code;
  return new Error(`Vonage unreachable: ${failure?.message ?? String(error)}${code ? ` (${code})` : ''}`);
}

/** Vonage answers errors as RFC 7807 problem documents; their title and detail say what was refused. */
async function problemDetail(response: Response): Promise<string> {
  try {
    const text = (await response.text()).slice(0, 2000);
    try {
      const problem = JSON.parse(text) as { title?: unknown; detail?: unknown };
      const parts = [problem.title, problem.detail].filter((part) => typeof part === 'string' && part !== '');
      if (parts.length > 0) return parts.join(' - ').slice(0, 300);
    } catch {
      // Not JSON: the start of the body is the best description there is.
    }
    return text.replace(/\s+/g, ' ').trim().slice(0, 300);
  } catch {
    return '';
  }
}

/** SMS_PROVIDER=vonage: the Messages API through Vonage's SDK, Basic auth with the API key and secret. */
export class VonageProvider implements SmsProvider {
  readonly description: string;
  private readonly messages: Messages;

  constructor(private readonly options: VonageOptions) {
    this.description = `SMS_PROVIDER=vonage: text messages are sent through ${options.apiUrl} from ${options.from}`;
    // An empty privateKey keeps Basic auth (JWT needs an applicationId and a key) and keeps @vonage/auth
    // from calling fs.existsSync(undefined), which prints a DEP0187 warning on Node 24.
    const auth = new Auth({ apiKey: options.apiKey, apiSecret: options.apiSecret, privateKey: '' });
    this.messages = new Messages(auth, {
      apiHost: options.apiUrl,
      timeout: options.timeoutMs ?? VONAGE_TIMEOUT_MS,
    });
  }

  async send(sms: OutgoingSms, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    try {
      // Vonage wants E.164 without its `+`.
      const to = sms.to.replace(/^\+/, '');
      await this.messages.send(
        new SMS({ messageType: 'text', channel: 'sms', to, from: this.options.from, text: sms.text, clientRef: sms.id }),
      );
    } catch (error) {
      throw await deliveryError(error);
    }
  }
}
