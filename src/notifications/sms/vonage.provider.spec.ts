import { describe, expect, it } from '@jest/globals';
import { PermanentDeliveryFailure } from '../notification-channel.js';
import { deliveryError, isPermanentStatus } from './vonage.provider.js';

/** What the SDK throws for an HTTP error: an Error carrying the unread fetch Response. */
function httpError(status: number, body = '{"title":"Invalid params","detail":"The value of to is invalid"}') {
  return Object.assign(new Error(`Request failed with status code ${status}`), { response: new Response(body, { status }) });
}

describe('which Vonage answers are final', () => {
  it.each([400, 401, 403, 404, 405, 409, 410, 413, 415, 422])('%i is refused for good', (status) => {
    expect(isPermanentStatus(status)).toBe(true);
  });

  it.each([408, 429, 500, 502, 503, 504])('%i is retried', (status) => {
    expect(isPermanentStatus(status)).toBe(false);
  });

  it('makes a 400 a PermanentDeliveryFailure that says why', async () => {
    const error = await deliveryError(httpError(400));
    expect(error).toBeInstanceOf(PermanentDeliveryFailure);
    expect(error.message).toBe('Vonage answered 400: Invalid params - The value of to is invalid');
  });

  it('retries a 503, a 429, a timeout and a refused connection', async () => {
    const errors = await Promise.all([
      deliveryError(httpError(503, 'upstream down')),
      deliveryError(httpError(429)),
      deliveryError(new DOMException('This operation was aborted', 'AbortError')),
      deliveryError(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } })),
    ]);
    for (const error of errors) expect(error).not.toBeInstanceOf(PermanentDeliveryFailure);
    expect(errors.map((e) => e.message)).toEqual([
      'Vonage answered 503: upstream down',
      'Vonage answered 429: Invalid params - The value of to is invalid',
      'Vonage did not answer in time',
      'Vonage unreachable: fetch failed (ECONNREFUSED)',
    ]);
  });
});
