import { BadRequestException, ConflictException, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { InvalidTokenException } from '../common/all-exceptions.filter.js';
import type { SignupResponseDto } from '../users/dto/user-profile.dto.js';
import { modifyReturning, PG_UNIQUE_VIOLATION, pgErrorCode, Sql, type Statement } from '../database/sql.js';
import { User } from '../users/entities/user.entity.js';
import type { ChangePasswordDto } from './dto/account.dto.js';
import type { LoginDto, SignupDto } from './dto/auth.dto.js';
import { newTokenHash, PasswordService } from './password.service.js';
import { type Device, SessionsService } from './sessions/sessions.service.js';
import { customKeyMatches, type RefreshClaims, type TokenPair, TokenService } from './tokens/token.service.js';

const CREDENTIALS_BY_EMAIL: Statement = {
  name: 'user_credentials',
  text: 'SELECT id, password_hash, token_hash FROM users WHERE email = $1',
};

/** Every credential rule: signup, login, refresh, password change, the password check on account deletion. */
@Injectable()
export class AuthService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly sql: Sql,
    private readonly passwords: PasswordService,
    private readonly sessions: SessionsService,
    private readonly tokens: TokenService,
  ) {}

  /** The unique index on the normalised email decides races: exactly one concurrent signup wins. */
  async signup(dto: SignupDto): Promise<SignupResponseDto> {
    const passwordHash = await this.passwords.hash(dto.password);
    try {
      const [user] = (await this.users
        .createQueryBuilder()
        .insert()
        .values({ email: dto.email, name: dto.name ?? null, passwordHash, tokenHash: newTokenHash() })
        .returning(['id', 'email', 'name', 'createdAt'])
        .execute()
        .then((result) => result.raw)) as { id: string; email: string; name: string | null; created_at: Date }[];
      return { id: user.id, email: user.email, name: user.name, createdAt: user.created_at.toISOString() };
    } catch (error) {
      if (pgErrorCode(error) === PG_UNIQUE_VIOLATION) throw new ConflictException('Email is already registered');
      throw error;
    }
  }

  /** Unknown email and wrong password fail alike: same body, one bcrypt compare each. */
  async login(dto: LoginDto, device: Device): Promise<TokenPair> {
    const user = await this.sql.row<{ id: string; password_hash: string; token_hash: string }>(CREDENTIALS_BY_EMAIL, [dto.email]);
    const valid = await this.passwords.verify(dto.password, user?.password_hash);
    if (!user || !valid) throw new UnauthorizedException('Invalid email or password');
    const session = await this.sessions.open(user.id, device);
    return this.tokens.issuePair(user.id, session.id, session.refreshJti, user.token_hash);
  }

  /** Spends a verified refresh token and returns the session's next pair. */
  async refresh(claims: RefreshClaims): Promise<TokenPair> {
    const rotated = await this.sessions.rotate(claims.sid, claims.sub, claims.jti);
    if (!rotated) {
      await this.sessions.revokeOnReuse(claims.sid, claims.sub, claims.jti);
      throw new InvalidTokenException();
    }
    // The custom key must match the user's current tokenHash. A password change redraws it and
    // revokes every session in the same transaction, so a token from before it finds no live
    // session above; a mismatch on a live one means the token or the database was tampered with.
    if (!customKeyMatches(claims.key, claims.sub, rotated.tokenHash)) {
      await this.sessions.revoke(claims.sid, claims.sub);
      throw new InvalidTokenException();
    }
    return this.tokens.issuePair(claims.sub, claims.sid, rotated.nextJti, rotated.tokenHash);
  }

  /**
   * New hash, new tokenHash (every earlier refresh token dies), every session revoked and one new
   * session for this device, in one transaction. bcrypt runs before it, so no lock waits on it;
   * the UPDATE only applies if the password is still the one just checked.
   */
  async changePassword(userId: string, dto: ChangePasswordDto, device: Device): Promise<TokenPair> {
    const currentHash = await this.passwordHashOf(userId);
    if (!(await this.passwords.verify(dto.currentPassword, currentHash))) {
      throw new ForbiddenException('Current password is incorrect');
    }
    if (dto.newPassword === dto.currentPassword) {
      throw new BadRequestException('newPassword must differ from currentPassword');
    }
    const passwordHash = await this.passwords.hash(dto.newPassword);
    const tokenHash = newTokenHash();

    const { session, revoked } = await this.dataSource.transaction(async (manager) => {
      const updated = await modifyReturning<{ id: string }>(
        manager,
        `UPDATE users SET password_hash = $2, token_hash = $3, updated_at = now()
          WHERE id = $1 AND password_hash = $4 RETURNING id`,
        [userId, passwordHash, tokenHash, currentHash],
      );
      if (updated.length === 0) throw new ConflictException('The password was changed by another request; try again');
      const revoked = await this.sessions.revokeAll(userId, manager);
      return { session: await this.sessions.open(userId, device, manager), revoked };
    });
    // Committed: make sure this instance does not serve any of them from memory.
    this.sessions.forget(revoked);
    return this.tokens.issuePair(userId, session.id, session.refreshJti, tokenHash);
  }

  /** Sessions and todos go with the user (ON DELETE CASCADE); the sessions trigger tells every instance. */
  async deleteAccount(userId: string, password: string): Promise<void> {
    const hash = await this.passwordHashOf(userId);
    if (!(await this.passwords.verify(password, hash))) throw new ForbiddenException('Password is incorrect');
    await this.users.delete({ id: userId });
  }

  private async passwordHashOf(userId: string): Promise<string> {
    const user = await this.users.findOne({ where: { id: userId }, select: { id: true, passwordHash: true } });
    if (!user) throw new InvalidTokenException();
    return user.passwordHash;
  }
}
