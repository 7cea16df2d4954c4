import { describe, expect, it } from '@jest/globals';
import { signedChallenge, userHandleOf } from './passkeys.service.js';

const clientData = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

describe('signedChallenge', () => {
  it("reads the challenge the browser signed from the response's clientDataJSON", () => {
    expect(signedChallenge({ response: { clientDataJSON: clientData({ type: 'webauthn.create', challenge: 'abc_-1' }) } })).toBe('abc_-1');
  });

  it.each([
    ['no response', {}],
    ['a clientDataJSON that is not a string', { response: { clientDataJSON: 12 } }],
    ['a clientDataJSON that is not JSON', { response: { clientDataJSON: clientData('not json') } }],
    ['JSON without a challenge', { response: { clientDataJSON: clientData({ type: 'webauthn.create' }) } }],
    ['a challenge that is not a string', { response: { clientDataJSON: clientData({ challenge: 7 }) } }],
    ['a challenge longer than any this service issues', { response: { clientDataJSON: clientData({ challenge: 'x'.repeat(65) }) } }],
    ['a clientDataJSON too long to be real', { response: { clientDataJSON: 'a'.repeat(5000) } }],
  ])('is undefined for %s', (_case, response) => {
    expect(signedChallenge(response as never)).toBeUndefined();
  });
});

describe('userHandleOf', () => {
  it("is the user id's 16 bytes, nothing personal", () => {
    expect(Buffer.from(userHandleOf('0f8fad5b-d9cb-469f-a165-70867728950e')).toString('hex')).toBe('0f8fad5bd9cb469fa16570867728950e');
  });
});
