import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';

interface Credential {
  id: string;
  privateKey: KeyObject;
  userHandle: string;
  counter: number;
}

// Authenticator data flags (W3C WebAuthn §6.1): user present, user verified, attested credential data.
const UP = 0x01;
const UV = 0x04;
const AT = 0x40;

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();

/**
 * A software passkey authenticator (ES256, "none" attestation) for API tests: it answers options
 * the way a browser and a platform authenticator would, with real P-256 keys and signatures, and
 * lets a test bend one thing at a time (origin, user verification, counter).
 */
export class SoftAuthenticator {
  readonly credentials = new Map<string, Credential>();

  constructor(readonly origin: string) {}

  create(
    options: PublicKeyCredentialCreationOptionsJSON,
    {
      userVerified = true,
      origin = this.origin,
      challenge = options.challenge,
    }: { userVerified?: boolean; origin?: string; challenge?: string } = {},
  ): RegistrationResponseJSON {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const cose = new Map<number, number | Uint8Array>([
      [1, 2], // kty: EC2
      [3, -7], // alg: ES256
      [-1, 1], // crv: P-256
      [-2, new Uint8Array(Buffer.from(jwk.x!, 'base64url'))],
      [-3, new Uint8Array(Buffer.from(jwk.y!, 'base64url'))],
    ]);
    const credentialId = randomBytes(32);
    const id = b64url(credentialId);
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(credentialId.length);
    const authData = Buffer.concat([
      this.header(options.rp.id ?? 'localhost', UP | (userVerified ? UV : 0) | AT, 0),
      Buffer.alloc(16), // aaguid
      idLength,
      credentialId,
      Buffer.from(isoCBOR.encode(cose)),
    ]);
    const attestationObject = isoCBOR.encode(
      new Map<string, unknown>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', new Uint8Array(authData)],
      ]) as never,
    );
    this.credentials.set(id, { id, privateKey, userHandle: options.user.id, counter: 0 });
    return {
      id,
      rawId: id,
      type: 'public-key',
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
      response: {
        clientDataJSON: this.clientData('webauthn.create', challenge, origin),
        attestationObject: b64url(attestationObject),
        transports: ['internal'],
      },
    };
  }

  /** Signs the options' challenge with credential `id` (the only one, when not given); the counter moves forward unless set. */
  get(
    options: PublicKeyCredentialRequestOptionsJSON,
    {
      id = [...this.credentials.keys()][0],
      userVerified = true,
      origin = this.origin,
      counter,
      userHandle,
    }: { id?: string; userVerified?: boolean; origin?: string; counter?: number; userHandle?: string } = {},
  ): AuthenticationResponseJSON {
    const credential = this.credentials.get(id);
    if (!credential) throw new Error(`no credential ${id}`);
    credential.counter = counter ?? credential.counter + 1;
    const authenticatorData = this.header(options.rpId ?? 'localhost', UP | (userVerified ? UV : 0), credential.counter);
    const clientDataJSON = this.clientData('webauthn.get', options.challenge, origin);
    const signature = sign(
      'sha256',
      Buffer.concat([authenticatorData, sha256(Buffer.from(clientDataJSON, 'base64url'))]),
      credential.privateKey,
    );
    return {
      id,
      rawId: id,
      type: 'public-key',
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
      response: {
        clientDataJSON,
        authenticatorData: b64url(authenticatorData),
        signature: b64url(signature),
        userHandle: userHandle ?? credential.userHandle,
      },
    };
  }

  private header(rpId: string, flags: number, counter: number): Buffer {
    const count = Buffer.alloc(4);
    count.writeUInt32BE(counter);
    return Buffer.concat([sha256(rpId), Buffer.from([flags]), count]);
  }

  private clientData(type: string, challenge: string, origin: string): string {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false })).toString('base64url');
  }
}
