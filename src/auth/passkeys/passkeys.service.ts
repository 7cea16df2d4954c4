import { BadRequestException, Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type { Environment } from '../../config/environment.js';
import { Db } from '../../database/db.js';
import { PG_UNIQUE_VIOLATION, rethrowAs } from '../../database/sql.js';
import { USERS } from '../../users/users.sql.js';
import type { Device } from '../sessions/sessions.service.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { type TokenPair, TokenService } from '../tokens/token.service.js';
import type { EventContext } from '../../events/security-event.js';
import { SecurityEvents } from '../../events/security-events.js';
import { SignIns } from '../../events/sign-ins.js';
import { MetricsService } from '../../metrics/metrics.service.js';
import { type PasskeyRow, PASSKEYS } from './passkeys.sql.js';

/** W3C WebAuthn §13.4.3: a challenge is used once, and lives no longer than the ceremony may take. */
export const CHALLENGE_TTL_SECONDS = 300;
/** Enough for every device a person owns; a cap so one account cannot fill the table. */
export const MAX_PASSKEYS_PER_USER = 20;
const RP_NAME = 'Todo API';
/** One answer to every refused passkey sign-in: nothing says which check failed. */
export const PASSKEY_LOGIN_FAILED = 'Passkey sign-in failed';

/** The challenge the browser signed, read from the response's clientDataJSON; undefined when unreadable. */
export function signedChallenge(response: { response?: { clientDataJSON?: unknown } }): string | undefined {
  const encoded = response.response?.clientDataJSON;
  if (typeof encoded !== 'string' || encoded.length > 4096) return undefined;
  try {
    const challenge = (JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as { challenge?: unknown }).challenge;
    return typeof challenge === 'string' && challenge.length <= 64 ? challenge : undefined;
  } catch {
    return undefined;
  }
}

/** The WebAuthn user handle of an account: its id's 16 bytes (no email or name in it, W3C WebAuthn §14.6.1). */
export const userHandleOf = (userId: string): Uint8Array<ArrayBuffer> => new Uint8Array(Buffer.from(userId.replace(/-/g, ''), 'hex'));

/**
 * Passkeys (WebAuthn, @simplewebauthn/server): registering them for a signed-in user, and signing
 * in with one. Challenges are stored in Postgres, single-use and short-lived, so any instance can
 * check the answer to options another instance gave. User verification is always required.
 */
@Injectable()
export class PasskeysService {
  private readonly rpID: string;
  private readonly origins: string[];

  constructor(
    private readonly db: Db,
    private readonly sessions: SessionsService,
    private readonly tokens: TokenService,
    private readonly events: SecurityEvents,
    private readonly signIns: SignIns,
    private readonly metrics: MetricsService,
    config: ConfigService<Environment, true>,
  ) {
    this.rpID = config.get('WEBAUTHN_RP_ID', { infer: true });
    this.origins = config
      .get('WEBAUTHN_ORIGINS', { infer: true })
      .split(',')
      .map((origin) => origin.trim());
  }

  async registrationOptions(userId: string): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const profile = await this.db.one(USERS.profile, [userId]);
    if (!profile) throw new UnauthorizedException();
    const existing = await this.db.run(PASSKEYS.credentialIdsOf, [userId]);
    const options = await generateRegistrationOptions({
      rpName: RP_NAME,
      rpID: this.rpID,
      userName: profile.email,
      userDisplayName: profile.name ?? profile.email,
      userID: userHandleOf(userId),
      timeout: CHALLENGE_TTL_SECONDS * 1000,
      attestationType: 'none',
      // Discoverable, so the passkey can sign in without an email typed first.
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      excludeCredentials: existing.map((row) => ({ id: row.credentialId, transports: row.transports })),
    });
    await this.db.run(PASSKEYS.issueRegistration, [options.challenge, userId, CHALLENGE_TTL_SECONDS]);
    return options;
  }

  /**
   * The challenge is spent before the response is checked: a response answers one options call,
   * once, and only the user that call was made for.
   */
  async register(response: RegistrationResponseJSON, name: string | undefined, context: EventContext): Promise<PasskeyRow> {
    const { userId } = context;
    const challenge = signedChallenge(response);
    const spent = challenge ? await this.db.one(PASSKEYS.spendRegistration, [challenge, userId]) : undefined;
    if (!spent?.live) throw new BadRequestException('No live registration challenge of yours matches this response; ask for new options');
    let verification;
    try {
      verification = await verifyRegistrationResponse({
        response,
        expectedChallenge: challenge!,
        expectedOrigin: this.origins,
        expectedRPID: this.rpID,
        requireUserVerification: true,
      });
    } catch (error) {
      throw new BadRequestException(`The passkey could not be verified: ${(error as Error).message}`);
    }
    if (!verification.verified) throw new BadRequestException('The passkey could not be verified');
    const { credential } = verification.registrationInfo;
    try {
      return await this.db.transaction(async (tx) => {
        const [row] = await this.db.run(
          PASSKEYS.insert,
          [
            userId,
            credential.id,
            Buffer.from(credential.publicKey),
            credential.counter,
            credential.transports ?? [],
            name ?? 'Passkey',
            MAX_PASSKEYS_PER_USER,
          ],
          tx,
        );
        if (!row) throw new BadRequestException(`At most ${MAX_PASSKEYS_PER_USER} passkeys per account; delete one first`);
        await this.events.record(tx, 'passkey_added', context);
        return row;
      });
    } catch (error) {
      rethrowAs(error, { [PG_UNIQUE_VIOLATION]: () => new BadRequestException('This passkey is already registered') });
    }
  }

  list(userId: string): Promise<PasskeyRow[]> {
    return this.db.run(PASSKEYS.list, [userId]);
  }

  async delete(id: string, context: EventContext): Promise<void> {
    await this.db.transaction(async (tx) => {
      if (!(await this.db.one(PASSKEYS.delete, [id, context.userId], tx))) throw new NotFoundException('Passkey not found');
      await this.events.record(tx, 'passkey_removed', context);
    });
  }

  /**
   * Options for a sign-in. allowCredentials stays empty even for an email (every passkey here is
   * discoverable): listing the account's credentials would tell anyone which addresses have an
   * account with passkeys. The email binds the challenge to its account instead.
   */
  async loginOptions(email: string | undefined): Promise<PublicKeyCredentialRequestOptionsJSON & { challengeId: string }> {
    const options = await generateAuthenticationOptions({
      rpID: this.rpID,
      userVerification: 'required',
      timeout: CHALLENGE_TTL_SECONDS * 1000,
      allowCredentials: [],
    });
    const [{ id }] = await this.db.run(PASSKEYS.issueLogin, [options.challenge, email ?? null, CHALLENGE_TTL_SECONDS]);
    return { ...options, challengeId: id };
  }

  async login(challengeId: string, response: AuthenticationResponseJSON, device: Device): Promise<TokenPair> {
    const spent = await this.db.one(PASSKEYS.spendLogin, [challengeId]);
    if (!spent?.live || typeof response.id !== 'string' || response.id.length > 1366) throw new UnauthorizedException(PASSKEY_LOGIN_FAILED);
    const stored = await this.db.one(PASSKEYS.byCredentialId, [response.id]);
    if (!stored || !(spent.anyUser || spent.userId === stored.userId)) throw new UnauthorizedException(PASSKEY_LOGIN_FAILED);
    // A discoverable credential names its account too; it must be the one the passkey was made for.
    const handle = response.response?.userHandle;
    if (handle !== undefined && handle !== Buffer.from(userHandleOf(stored.userId)).toString('base64url')) {
      throw new UnauthorizedException(PASSKEY_LOGIN_FAILED);
    }
    let verification;
    try {
      verification = await verifyAuthenticationResponse({
        response,
        expectedChallenge: spent.challenge,
        expectedOrigin: this.origins,
        expectedRPID: this.rpID,
        credential: {
          id: stored.credentialId,
          publicKey: new Uint8Array(stored.publicKey),
          counter: Number(stored.counter),
          transports: stored.transports,
        },
        requireUserVerification: true,
      });
    } catch {
      // Includes a signature counter that did not move forward (a cloned authenticator).
      throw new UnauthorizedException(PASSKEY_LOGIN_FAILED);
    }
    if (!verification.verified) throw new UnauthorizedException(PASSKEY_LOGIN_FAILED);
    if (!(await this.db.one(PASSKEYS.advanceCounter, [stored.id, verification.authenticationInfo.newCounter]))) {
      throw new UnauthorizedException(PASSKEY_LOGIN_FAILED);
    }
    return this.openSession(stored.userId, stored.tokenHash, device);
  }

  /**
   * The one place a passkey sign-in becomes a session: the same session and token pair a password
   * login opens (refresh, rotation, revocation, GET /auth/sessions), signed in by `webauthn`
   * (RFC 8176): a passkey with user verification is itself two factors, so MFA asks for nothing more.
   */
  private async openSession(userId: string, tokenHash: string, device: Device): Promise<TokenPair> {
    const session = await this.db.transaction(async (tx) => {
      const opened = await this.sessions.open(userId, device, ['webauthn'], tx);
      // The login's event and any new-sign-in mail commit with its session, as a password login's do.
      await this.signIns.record(tx, { userId, sessionId: opened.id, ...device });
      return opened;
    });
    this.metrics.loginSucceeded();
    return this.tokens.issuePair(userId, session.id, session.refreshJti, tokenHash, session.amr);
  }
}
