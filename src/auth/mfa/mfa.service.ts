import { BadRequestException, ConflictException, ForbiddenException, Injectable, Logger, UnauthorizedException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createHash, randomBytes } from 'node:crypto';
import QRCode from 'qrcode';
import type { Environment } from '../../config/environment.js';
import { Db, type Tx } from '../../database/db.js';
import { type ComposedMail, MailChannel } from '../../notifications/mail/mail.channel.js';
import { USERS } from '../../users/users.sql.js';
import { PasswordService } from '../password.service.js';
import { type Device, SessionsService } from '../sessions/sessions.service.js';
import { type Amr, type TokenPair, TokenService } from '../tokens/token.service.js';
import type { LoginMfaDto, MfaChallengeDto, RecoveryCodesDto, TotpSetupDto } from './dto/mfa.dto.js';
import type { EventContext } from '../../events/security-event.js';
import { SecurityEvents } from '../../events/security-events.js';
import { SignIns } from '../../events/sign-ins.js';
import { MetricsService } from '../../metrics/metrics.service.js';
import { MFA_LIMITS, TooManyCodesException } from './mfa-limits.js';
import { MFA, type TotpRow } from './mfa.sql.js';
import { hashRecoveryCode, newRecoveryCodes, normaliseRecoveryCode } from './recovery-codes.js';
import { SecretBox } from './secret-box.js';
import { matchingStep, newTotpSecret, otpauthUri, TOTP_CODE_PATTERN } from './totp.js';

/** RFC 8176: a password, then a one-time code (TOTP or recovery code). */
export const AMR_PASSWORD: Amr = ['pwd'];
export const AMR_PASSWORD_AND_OTP: Amr = ['pwd', 'otp'];

const WRONG_CODE = 'Wrong code';
const DEAD_MFA_TOKEN = 'Invalid, used or expired mfaToken; log in again';

interface MfaMailJob {
  kind: 'mfa-enabled' | 'mfa-disabled';
  userId: string;
  [input: string]: unknown;
}

/** A code from the client: a TOTP code, or a recovery code. */
type Factor = { code: string } | { recoveryCode: string };

const hashMfaToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

/**
 * The second factor: TOTP enrolment (setup, enable), the code step of a login, disabling and new
 * recovery codes. Every code is accepted once: a TOTP code by its time step (the database keeps
 * the last accepted one per user), a recovery code by being marked used, in the transaction that
 * acts on it.
 */
@Injectable()
export class MfaService {
  private readonly logger = new Logger('Mfa');
  private readonly issuer: string;

  constructor(
    private readonly db: Db,
    private readonly passwords: PasswordService,
    private readonly sessions: SessionsService,
    private readonly tokens: TokenService,
    private readonly box: SecretBox,
    private readonly mail: MailChannel,
    private readonly events: SecurityEvents,
    private readonly signIns: SignIns,
    private readonly metrics: MetricsService,
    config: ConfigService<Environment, true>,
  ) {
    this.issuer = config.get('JWT_ISSUER', { infer: true });
    const compose = (job: MfaMailJob) => this.composeNotice(job);
    mail.addComposer<MfaMailJob>('mfa-enabled', compose);
    mail.addComposer<MfaMailJob>('mfa-disabled', compose);
  }

  async isEnabled(userId: string): Promise<boolean> {
    return (await this.db.one(MFA.enabled, [userId]))?.enabled === true;
  }

  /**
   * A new secret, pending until enable() sees a correct code (an earlier pending one is replaced).
   * It leaves the service only in this answer; the database keeps it sealed.
   */
  async setup(userId: string, password: string): Promise<TotpSetupDto> {
    await this.checkPassword(userId, password);
    const secret = newTotpSecret();
    const started = await this.db.one(MFA.startSetup, [userId, this.box.seal(secret, userId)]);
    if (!started) throw new ConflictException('Two-factor authentication is already enabled');
    const { email } = (await this.db.one(MFA.email, [userId]))!;
    const uri = otpauthUri(secret, email, this.issuer);
    const qrSvg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    return { secret, otpauthUri: uri, qrSvg };
  }

  /** Turns TOTP on with the first correct code; answers the recovery codes and mails the user. */
  async enable(code: string, context: EventContext): Promise<RecoveryCodesDto> {
    const { userId } = context;
    const totp = await this.takeAttempt(userId, 'pending');
    const step = matchingStep(this.open(userId, totp), code);
    if (step === null) throw new BadRequestException(WRONG_CODE);
    const recoveryCodes = await this.db.transaction(async (tx) => {
      await this.db.run(MFA.lockOwner, [userId], tx);
      // A setup or another enable since the read above: this code proves nothing any more.
      if (!(await this.db.one(MFA.enable, [userId, step, totp.secret], tx))) throw new BadRequestException(WRONG_CODE);
      await this.notify(tx, 'mfa-enabled', userId);
      await this.events.record(tx, 'mfa_enabled', context);
      return this.replaceRecoveryCodes(tx, userId);
    });
    await this.succeeded(userId, totp);
    return { recoveryCodes };
  }

  /** Password and a code (or recovery code): TOTP off, recovery codes gone, every other session ended. */
  async disable(password: string, code: string, context: EventContext & { sessionId: string }): Promise<void> {
    const { userId, sessionId } = context;
    const totp = await this.takeAttempt(userId, 'enabled');
    await this.checkPassword(userId, password);
    await this.db.transaction(async (tx) => {
      await this.db.run(MFA.lockOwner, [userId], tx);
      await this.spendFactor(tx, userId, totp, factorOf(code), ForbiddenException);
      await this.db.run(MFA.disable, [userId], tx);
      await this.db.run(MFA.deleteRecoveryCodes, [userId], tx);
      await this.sessions.revokeAllBut(userId, sessionId, tx);
      await this.notify(tx, 'mfa-disabled', userId);
      await this.events.record(tx, 'mfa_disabled', context);
    });
    await this.refundAttempt(userId);
  }

  /** Password and a code (or recovery code): 10 new recovery codes, the old ones dead. */
  async regenerateRecoveryCodes(userId: string, password: string, code: string): Promise<RecoveryCodesDto> {
    const totp = await this.takeAttempt(userId, 'enabled');
    await this.checkPassword(userId, password);
    const recoveryCodes = await this.db.transaction(async (tx) => {
      await this.spendFactor(tx, userId, totp, factorOf(code), ForbiddenException);
      return this.replaceRecoveryCodes(tx, userId);
    });
    await this.succeeded(userId, totp);
    return { recoveryCodes };
  }

  /**
   * The password step passed for a user with TOTP on: no tokens yet, a single-use mfaToken bound to
   * this attempt and to the user's current tokenHash instead. Only its SHA-256 is stored.
   */
  async challenge(userId: string, tokenHash: string): Promise<MfaChallengeDto> {
    const mfaToken = randomBytes(32).toString('base64url');
    await this.db.run(MFA.deleteOldChallenges, [userId]);
    await this.db.run(MFA.openChallenge, [hashMfaToken(mfaToken), userId, tokenHash, MFA_LIMITS.mfaTokenTtlSeconds]);
    return { mfaRequired: true, mfaToken, mfaTokenExpiresIn: MFA_LIMITS.mfaTokenTtlSeconds };
  }

  /**
   * The code step of a login: spends the mfaToken and the code in one transaction and opens a
   * session that passed both factors. Of concurrent submissions (one mfaToken, or one code with
   * several), exactly one gets a pair.
   */
  async completeLogin(dto: LoginMfaDto, device: Device): Promise<TokenPair> {
    if (dto.code !== undefined && dto.recoveryCode !== undefined) {
      throw new BadRequestException('Give either code or recoveryCode, not both');
    }
    const tokenHash = hashMfaToken(dto.mfaToken);
    const challenge = await this.db.one(MFA.takeChallengeAttempt, [tokenHash, MFA_LIMITS.attemptsPerMfaToken]);
    if (!challenge) throw new UnauthorizedException(DEAD_MFA_TOKEN);
    const { userId } = challenge;
    // TOTP turned off since the password step: this login has nothing to finish.
    const totp = await this.takeAttempt(userId, 'enabled', () => new UnauthorizedException(DEAD_MFA_TOKEN));
    const factor: Factor = dto.recoveryCode !== undefined ? { recoveryCode: dto.recoveryCode } : { code: dto.code! };
    const { session, userTokenHash } = await this.db
      .transaction(async (tx) => {
        const spent = await this.db.one(MFA.spendChallenge, [tokenHash], tx);
        if (!spent) throw new UnauthorizedException(DEAD_MFA_TOKEN);
        await this.spendFactor(tx, userId, totp, factor, BadRequestException);
        const opened = await this.sessions.open(userId, device, AMR_PASSWORD_AND_OTP, tx);
        // The login's event and any new-sign-in mail commit with its session, as a password login's do.
        await this.signIns.record(tx, { userId, sessionId: opened.id, ...device });
        return { session: opened, userTokenHash: spent.tokenHash };
      })
      .catch((error: unknown) => {
        // A wrong code is the owner's to see, written without the response waiting on it.
        if (error instanceof BadRequestException) this.events.refused('mfa_failed', { userId, ...device });
        throw error;
      });
    this.metrics.loginSucceeded();
    await this.succeeded(userId, totp);
    return this.tokens.issuePair(userId, session.id, session.refreshJti, userTokenHash, session.amr);
  }

  /**
   * Counts a code attempt against the user's limit before any code is checked (a correct one gives
   * it back) and returns the user's TOTP row in the state `wanted`.
   */
  private async takeAttempt(userId: string, wanted: 'pending' | 'enabled', missing?: () => Error): Promise<TotpRow> {
    const { wrongCodesWindowSeconds: window, wrongCodesPerUser: limit } = MFA_LIMITS;
    const totp = await this.db.one(MFA.takeAttempt, [userId, window, limit]);
    if (!totp) {
      const held = await this.db.one(MFA.attemptsRetryAfter, [userId, window]);
      if (held && (wanted === 'enabled') === held.enabled) throw new TooManyCodesException(held.retryAfter);
    }
    if (totp && (wanted === 'enabled') === totp.enabled) return totp;
    if (totp) await this.refundAttempt(userId);
    if (missing) throw missing();
    if (wanted === 'pending') {
      throw totp?.enabled
        ? new ConflictException('Two-factor authentication is already enabled')
        : new BadRequestException('No pending setup: call POST /auth/mfa/totp/setup first');
    }
    throw new ConflictException('Two-factor authentication is not enabled');
  }

  private async refundAttempt(userId: string): Promise<void> {
    await this.db.run(MFA.refundAttempt, [userId]);
  }

  /**
   * Accepts the factor inside `tx`, or throws `Refusal` (400 on the login, 403 where a password
   * was given too). A TOTP code counts once: its step must be later than the last accepted one.
   */
  private async spendFactor(tx: Tx, userId: string, totp: TotpRow, factor: Factor, Refusal: new (message: string) => Error): Promise<void> {
    if ('recoveryCode' in factor) {
      const spent = await this.db.one(MFA.spendRecoveryCode, [userId, hashRecoveryCode(userId, factor.recoveryCode)], tx);
      if (!spent) throw new Refusal(WRONG_CODE);
      return;
    }
    const step = matchingStep(this.open(userId, totp), factor.code);
    if (step === null || !(await this.db.one(MFA.claimStep, [userId, step], tx))) throw new Refusal(WRONG_CODE);
  }

  private open(userId: string, totp: TotpRow): string {
    return this.box.open(totp.secret, userId);
  }

  /**
   * A correct code: its attempt is given back, and a secret still sealed under a retired key is
   * sealed again under the current one (after the code was accepted, so the two never race).
   */
  private async succeeded(userId: string, totp: TotpRow): Promise<void> {
    await this.refundAttempt(userId);
    if (!this.box.isStale(totp.secret)) return;
    await this.db.run(MFA.reseal, [userId, totp.secret, this.box.seal(this.open(userId, totp), userId)]);
    this.logger.log(`sealed the TOTP secret of user ${userId} under the current key`);
  }

  private async replaceRecoveryCodes(tx: Tx, userId: string): Promise<string[]> {
    const codes = newRecoveryCodes();
    await this.db.run(MFA.deleteRecoveryCodes, [userId], tx);
    await this.db.run(MFA.insertRecoveryCodes, [userId, codes.map((code) => hashRecoveryCode(userId, code))], tx);
    return codes;
  }

  private async checkPassword(userId: string, password: string): Promise<void> {
    const user = await this.db.one(USERS.passwordHash, [userId]);
    if (!(await this.passwords.verify(password, user?.passwordHash, `user:${userId}`)))
      throw new ForbiddenException('Password is incorrect');
  }

  private async notify(tx: Tx, kind: MfaMailJob['kind'], userId: string): Promise<void> {
    await this.mail.enqueue<MfaMailJob>(tx, { kind, userId });
  }

  private async composeNotice(job: MfaMailJob): Promise<ComposedMail | null> {
    const user = await this.db.one(MFA.email, [job.userId]);
    // The account is gone: nobody to tell.
    if (!user) return null;
    return { to: user.email, template: job.kind, data: { email: user.email } };
  }
}

/** Six digits are a TOTP code; anything else the DTO let through is a recovery code. */
function factorOf(code: string): Factor {
  return TOTP_CODE_PATTERN.test(code) ? { code } : { recoveryCode: normaliseRecoveryCode(code) };
}
