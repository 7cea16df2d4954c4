import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { PermanentDeliveryFailure } from '../src/notifications/notification-channel.js';
import { LogProvider } from '../src/notifications/sms/log.provider.js';
import type { SmsProvider } from '../src/notifications/sms/sms-provider.js';
import { VonageProvider } from '../src/notifications/sms/vonage.provider.js';
import { freePort } from './support/database.js';
import { FakeVonage } from './support/fake-vonage.js';

const SMS = { id: '0b7e9a52-4c1f-4a8e-9d3b-2f6a1c5e8d90', to: '+14155550100', text: 'New todo: Renew passport' };
const signal = () => new AbortController().signal;

describe('SMS providers', () => {
  let fake: FakeVonage;
  const logged: string[] = [];

  beforeAll(async () => {
    fake = await FakeVonage.start();
  });
  afterAll(async () => {
    await fake?.stop();
  });
  beforeEach(() => {
    fake.requests.length = 0;
    fake.answers = [];
    fake.otherwise = 202;
    logged.length = 0;
  });

  const vonage = (timeoutMs?: number) =>
    new VonageProvider({ apiKey: 'key123', apiSecret: 'secret456', from: 'TodoApi', apiUrl: fake.url, timeoutMs });

  describe.each<[string, () => SmsProvider]>([
    ['vonage', () => vonage()],
    ['log', () => new LogProvider((line) => logged.push(line))],
  ])('%s', (_, make) => {
    it('takes a message and says where messages go', async () => {
      const provider = make();
      await expect(provider.send(SMS, signal())).resolves.toBeUndefined();
      expect(provider.description).toMatch(/^SMS_PROVIDER=/);
    });

    it('does not start an attempt that was already given up', async () => {
      const controller = new AbortController();
      controller.abort();
      await expect(make().send(SMS, controller.signal)).rejects.toThrow();
      expect(fake.requests).toHaveLength(0);
      expect(logged).toHaveLength(0);
    });
  });

  it('vonage: POSTs the documented body to /v1/messages with Basic auth', async () => {
    await vonage().send(SMS, signal());
    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requests;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/v1/messages');
    expect(request.headers.authorization).toBe(`Basic ${Buffer.from('key123:secret456').toString('base64')}`);
    expect(request.headers['content-type']).toMatch(/^application\/json/);
    expect(request.body).toEqual({
      message_type: 'text',
      channel: 'sms',
      to: '14155550100',
      from: 'TodoApi',
      text: 'New todo: Renew passport',
      client_ref: SMS.id,
    });
  });

  it('vonage: a 400 is a permanent failure that carries Vonage’s reason', async () => {
    fake.answers = [400];
    const error = await vonage()
      .send(SMS, signal())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentDeliveryFailure);
    expect((error as Error).message).toBe('Vonage answered 400: Invalid params - fake answered 400');
  });

  it.each([503, 500, 429] as const)('vonage: a %i is an error to retry', async (status) => {
    fake.answers = [status];
    const error = await vonage()
      .send(SMS, signal())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(PermanentDeliveryFailure);
    expect((error as Error).message).toMatch(new RegExp(`^Vonage answered ${status}`));
  });

  it('vonage: a provider that never answers is abandoned at the timeout, to be retried', async () => {
    fake.answers = ['hang'];
    const error = await vonage(300)
      .send(SMS, signal())
      .catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(PermanentDeliveryFailure);
    expect((error as Error).message).toBe('Vonage did not answer in time');
    expect(fake.requests).toHaveLength(1);
    fake.releaseHanging();
  });

  it('vonage: an unreachable provider is an error to retry', async () => {
    const closed = new VonageProvider({ apiKey: 'k', apiSecret: 's', from: 'TodoApi', apiUrl: `http://127.0.0.1:${await freePort()}` });
    const error = await closed.send(SMS, signal()).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(PermanentDeliveryFailure);
    expect((error as Error).message).toMatch(/^Vonage unreachable: fetch failed \(ECONNREFUSED\)/);
  });

  it('log: writes the text with the number masked', async () => {
    await new LogProvider((line) => logged.push(line)).send(SMS, signal());
    expect(logged).toEqual([`sms ${SMS.id} to +1415*****00 (not sent: SMS_PROVIDER=log): "New todo: Renew passport"`]);
  });
});
