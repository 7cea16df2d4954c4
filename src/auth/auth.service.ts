import { BadRequestException, ConflictException, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { InvalidTokenException } from './invalid-token.exception.js';
import { Limits } from '../common/rate-limit/limits.service.js';
import { Db, type Tx } from '../database/db.js';
import { SecurityEvents } from '../events/security-events.js';
import { SignIns } from '../events/sign-ins.js';
import { MetricsService } from '../metrics/metrics.service.js';

/** Unknown, used, expired or superseded: one answer, so a caller learns nothing about which. */
export const INVALID_LINK = 'This link is invalid, used or expired; ask for a new one';
import { PG_UNIQUE_VIOLATION, rethrowAs } from '../database/sql.js';
import type { SignupResponseDto, UserProfileDto } from '../users/dto/user-profile.dto.js';
import { USERS } from '../users/users.sql.js';
import type { ChangePasswordDto } from './dto/account.dto.js';
import type { LoginDto, SignupDto } from './dto/auth.dto.js';
import type { ResetPasswordDto } from './dto/recovery.dto.js';
import type { MfaChallengeDto } from './mfa/dto/mfa.dto.js';
import { AMR_PASSWORD, MfaService } from './mfa/mfa.service.js';
import { newTokenHash, PasswordService } from './password.service.js';
import { RecoveryLinks } from './recovery/recovery-links.js';
import { type Device, SessionsService } from './sessions/sessions.service.js';
import { customKeyMatches, type RefreshClaims, type TokenPair, TokenService } from './tokens/token.service.js';

/**
 * Every credential rule: signup, login, refresh, password change and reset, email verification,
 * the password check on account deletion.
 */
@Injectable()
export class AuthService {
  constructor(
    private readonly db: Db,
    private readonly passwords: PasswordService,
    private readonly sessions: SessionsService,
    private readonly tokens: TokenService,
    private readonly links: RecoveryLinks,
    private readonly mfa: MfaService,
    private readonly events: SecurityEvents,
    private readonly signIns: SignIns,
    private readonly limits: Limits,
    private readonly metrics: MetricsService,
  ) {}

  /**
   * The unique index on the normalised email decides races: exactly one concurrent signup wins.
   * Its verification mail is queued in the same transaction: no account without it, and no mail
   * for an account that was not created.
   */
  async signup(dto: SignupDto): Promise<SignupResponseDto> {
    const passwordHash = await this.passwords.hash(dto.password);
    // Taken before the transaction, never inside it: a counter in Postgres needs a pooled
    // connection, and concurrent signups hold theirs waiting on the unique index. Past the
    // address's mail caps the account is still created; POST /auth/verify-email/request asks later.
    const mail = await this.links.mayMail(dto.email, 'verify-email');
    try {
      return await this.db.transaction(async (tx) => {
        const [user] = await this.db.run(USERS.insert, [dto.email, dto.name ?? null, passwordHash, newTokenHash()], tx);
        if (mail.allowed) await this.links.queueVerification(tx, user.id);
        return user;
      });
    } catch (error) {
      rethrowAs(error, { [PG_UNIQUE_VIOLATION]: () => new ConflictException('Email is already registered') });
    }
  }

  /**
   * Unknown email and wrong password fail alike: same body, one bcrypt compare each, and both count
   * against the email's failed-login limit (API.md, Abuse limits: per account, from any address).
   * A wrong password for a real account is recorded for its owner without the response waiting on
   * it; an unknown email has no owner to tell. With a second factor on, the password opens no
   * session: the answer is an mfaToken for POST /auth/login/mfa. Otherwise the session, its
   * `login` event and any new-sign-in mail commit together.
   */
  async login(dto: LoginDto, device: Device): Promise<TokenPair | MfaChallengeDto> {
    const user = await this.db.one(USERS.credentialsByEmail, [dto.email]);
    const valid = await this.limits.countFailures('login-per-account', dto.email, () =>
      this.passwords.verify(dto.password, user?.passwordHash, user ? `user:${user.id}` : `email:${dto.email}`),
    );
    if (user && !valid) this.events.refused('login_failed', { userId: user.id, ...device });
    if (!user || !valid) {
      this.metrics.loginFailed();
      throw new UnauthorizedException('Invalid email or password');
    }
    if (await this.mfa.isEnabled(user.id)) return this.mfa.challenge(user.id, user.tokenHash);
    const session = await this.db.transaction(async (tx) => {
      const opened = await this.sessions.open(user.id, device, AMR_PASSWORD, tx);
      await this.signIns.record(tx, { userId: user.id, sessionId: opened.id, ...device });
      return opened;
    });
    this.metrics.loginSucceeded();
    return this.tokens.issuePair(user.id, session.id, session.refreshJti, user.tokenHash, session.amr);
  }

  /**
   * Spends a verified refresh token and returns the session's next pair (within the reuse grace,
   * a pair carrying the live jti the first caller got).
   */
  async refresh(claims: RefreshClaims, device: Device): Promise<TokenPair> {
    const rotated = await this.sessions.rotate(claims.sid, claims.sub, claims.jti);
    if (!rotated) {
      await this.sessions.revokeOnReuse(claims.sid, claims.sub, claims.jti, device);
      throw new InvalidTokenException();
    }
    // The custom key must match the user's current tokenHash. A password change redraws it and
    // revokes every session in the same transaction, so a token from before it finds no live
    // session above; a mismatch on a live one means the token or the database was tampered with.
    if (!customKeyMatches(claims.key, claims.sub, rotated.tokenHash)) {
      await this.sessions.revoke(claims.sid, claims.sub, device);
      throw new InvalidTokenException();
    }
    this.metrics.refreshed();
    return this.tokens.issuePair(claims.sub, claims.sid, rotated.liveJti, rotated.tokenHash, rotated.amr);
  }

  /**
   * New hash, new tokenHash (every earlier refresh token dies), every session revoked and one new
   * session for this device, in one transaction. bcrypt runs before it, so no lock waits on it;
   * the UPDATE only applies if the password is still the one just checked. The new session keeps
   * how the device's session `sessionId` was signed in.
   */
  async changePassword(userId: string, sessionId: string, dto: ChangePasswordDto, device: Device): Promise<TokenPair> {
    this.passwords.refuseWhileChecking(`user:${userId}`);
    const currentHash = await this.passwordHashOf(userId);
    if (!(await this.checkPassword(userId, dto.currentPassword, currentHash))) {
      throw new ForbiddenException('Current password is incorrect');
    }
    if (dto.newPassword === dto.currentPassword) {
      throw new BadRequestException('newPassword must differ from currentPassword');
    }
    const passwordHash = await this.passwords.hash(dto.newPassword);
    const tokenHash = newTokenHash();
    const amr = (await this.sessions.amrOf(sessionId, userId)) ?? AMR_PASSWORD;

    const session = await this.db.transaction(async (tx) => {
      if (!(await this.replacePassword(tx, userId, passwordHash, tokenHash, currentHash))) {
        throw new ConflictException('The password was changed by another request; try again');
      }
      const opened = await this.sessions.open(userId, device, amr, tx);
      await this.events.record(tx, 'password_changed', { userId, sessionId: opened.id, ...device });
      return opened;
    });
    return this.tokens.issuePair(userId, session.id, session.refreshJti, tokenHash, session.amr);
  }

  /**
   * Queues a reset mail for the address and answers the same whether or not an account has it:
   * the request does one insert into the queue either way, and only the worker looks it up. A
   * mail the address's caps hold back is not queued, and the answer is the same (nothing to learn).
   */
  async forgotPassword(email: string): Promise<void> {
    if (!(await this.links.mayMail(email, 'password-reset')).allowed) return;
    await this.db.transaction((tx) => this.links.queueReset(tx, email));
  }

  /**
   * The password change's transaction, entered through a reset link instead of the current
   * password: the link is spent, the password and tokenHash replaced (every earlier refresh token
   * and reset link dies) and every session revoked, all or nothing. No new session: the user logs in.
   */
  async resetPassword(dto: ResetPasswordDto, device: Device): Promise<void> {
    // A dead link is refused before bcrypt, so made-up tokens cost one indexed read each.
    if (!(await this.links.isLive(dto.token, 'password-reset'))) throw new BadRequestException(INVALID_LINK);
    const passwordHash = await this.passwords.hash(dto.newPassword, 'reset');
    const email = await this.db.transaction(async (tx) => {
      // Of concurrent resets with one link, the first to spend it wins; the others find it used.
      const userId = await this.links.spend(tx, dto.token, 'password-reset');
      if (!userId || !(await this.replacePassword(tx, userId, passwordHash, newTokenHash(), null))) {
        throw new BadRequestException(INVALID_LINK);
      }
      await this.events.record(tx, 'password_reset', { userId, ...device });
      // API.md, Abuse limits: the reset proves the address. If it was not proved before, whoever
      // signed up with it may have been someone else: their phone number goes (the sessions went above).
      const [proved] = await this.db.run(USERS.proveEmailByReset, [userId], tx);
      return proved.email;
    });
    // The owner is back in: failed logins counted against the account no longer hold them out.
    await this.limits.reset('login-per-account', email);
  }

  /** Mails a fresh verification link (the mail's link replaces earlier ones), within the address's mail caps (429 past them). */
  async requestEmailVerification(userId: string): Promise<void> {
    const profile = await this.db.one(USERS.profile, [userId]);
    if (!profile) throw new InvalidTokenException();
    if (profile.emailVerified) throw new ConflictException('The email address is already verified');
    const allowance = await this.links.mayMail(profile.email, 'verify-email');
    if (!allowance.allowed) throw this.limits.exception(allowance.limit, allowance.retryAfterSeconds);
    await this.db.transaction((tx) => this.links.queueVerification(tx, userId));
  }

  /** Spends a verification link and marks its address verified; returns the profile. */
  async verifyEmail(token: string, device: Device): Promise<UserProfileDto> {
    return this.db.transaction(async (tx) => {
      const userId = await this.links.spend(tx, token, 'verify-email');
      const profile = userId ? await this.db.one(USERS.markEmailVerified, [userId], tx) : undefined;
      if (!profile) throw new BadRequestException(INVALID_LINK);
      await this.events.record(tx, 'email_verified', { userId: profile.id, ...device });
      return profile;
    });
  }

  /**
   * New password hash and tokenHash, every session revoked (forgotten by this instance once the
   * transaction commits): what a password change and a reset share. False when the password was
   * no longer `currentHash` (null: whatever it is).
   */
  private async replacePassword(
    tx: Tx,
    userId: string,
    passwordHash: string,
    tokenHash: string,
    currentHash: string | null,
  ): Promise<boolean> {
    const [replaced] = await this.db.run(USERS.replacePassword, [userId, passwordHash, tokenHash, currentHash], tx);
    if (!replaced) return false;
    await this.sessions.revokeAll(userId, tx);
    return true;
  }

  /** Sessions and todos go with the user (ON DELETE CASCADE); the sessions trigger tells every instance. */
  async deleteAccount(userId: string, password: string): Promise<void> {
    this.passwords.refuseWhileChecking(`user:${userId}`);
    const hash = await this.passwordHashOf(userId);
    if (!(await this.checkPassword(userId, password, hash))) throw new ForbiddenException('Password is incorrect');
    // Ending the sessions first makes this instance forget them at commit, before their
    // notification arrives: the deleted user's access tokens stop here at once.
    await this.db.transaction(async (tx) => {
      await this.sessions.revokeAll(userId, tx);
      await this.db.run(USERS.delete, [userId], tx);
    });
  }

  /**
   * The password check of a route a signed-in user reaches (API.md, Abuse limits): wrong passwords
   * count per user, whatever the session, so a stolen access token cannot guess the password.
   */
  private checkPassword(userId: string, password: string, hash: string): Promise<boolean> {
    return this.limits.countFailures('password-check-per-user', userId, () => this.passwords.verify(password, hash, `user:${userId}`));
  }

  private async passwordHashOf(userId: string): Promise<string> {
    const user = await this.db.one(USERS.passwordHash, [userId]);
    // The session check passed, so the user existed a moment ago: deleted since.
    if (!user) throw new InvalidTokenException();
    return user.passwordHash;
  }
}
