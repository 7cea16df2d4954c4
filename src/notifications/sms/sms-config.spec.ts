import { describe, expect, it } from '@jest/globals';
import { ConfigurationError, validateEnvironment } from '../../config/environment.js';

const VONAGE = { SMS_PROVIDER: 'vonage', VONAGE_API_KEY: 'key123', VONAGE_API_SECRET: 'secret456', VONAGE_FROM: 'TodoApi' };

function failure(raw: Record<string, string>): string {
  try {
    validateEnvironment(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message;
  }
  throw new Error('accepted');
}

describe('SMS configuration', () => {
  it('defaults to the log provider and the public Vonage API, with a 2 s first retry', () => {
    expect(validateEnvironment({})).toMatchObject({ SMS_PROVIDER: 'log', VONAGE_API_URL: 'https://api.nexmo.com', QUEUE_RETRY_DELAY: 2 });
  });

  it('takes a complete Vonage configuration, the base URL without its trailing slash', () => {
    expect(validateEnvironment({ ...VONAGE, VONAGE_API_URL: 'http://127.0.0.1:9999/' })).toMatchObject({
      ...VONAGE,
      VONAGE_API_URL: 'http://127.0.0.1:9999',
    });
  });

  it.each(['VONAGE_API_KEY', 'VONAGE_API_SECRET', 'VONAGE_FROM'])('stops with one line naming %s when vonage lacks it', (name) => {
    const message = failure({ ...VONAGE, [name]: '' });
    expect(message).toBe(`Invalid configuration: ${name} is required when SMS_PROVIDER=vonage`);
  });

  it.each([
    ['SMS_PROVIDER', 'twilio'],
    ['VONAGE_API_URL', 'ftp://api.nexmo.com'],
    ['VONAGE_FROM', 'A sender id that is far too long'],
    ['QUEUE_RETRY_DELAY', '0'],
    ['QUEUE_RETRY_DELAY', '1.5'],
  ])('refuses %s=%s with one line that names it', (name, value) => {
    const message = failure({ ...VONAGE, [name]: value });
    expect(message).toMatch(new RegExp(`^Invalid configuration: ${name} `));
    expect(message).not.toContain('\n');
  });

  it('needs no Vonage keys for the log provider', () => {
    expect(() => validateEnvironment({ SMS_PROVIDER: 'log' })).not.toThrow();
  });
});
