import { ConflictException, Injectable, UnauthorizedException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { InvalidTokenException } from '../common/all-exceptions.filter.js';
import type { SignupResponseDto } from '../users/dto/user-profile.dto.js';
import { PG_UNIQUE_VIOLATION, pgErrorCode, Sql, type Statement } from '../database/sql.js';
import { User } from '../users/entities/user.entity.js';
import type { LoginDto, SignupDto } from './dto/auth.dto.js';
import { newTokenHash, PasswordService } from './password.service.js';
import { type Device, SessionsService } from './sessions/sessions.service.js';
import { customKeyMatches, type RefreshClaims, type TokenPair, TokenService } from './tokens/token.service.js';

const CREDENTIALS_BY_EMAIL: Statement = {
  name: 'user_credentials',
  text: 'SELECT id, password_hash, token_hash FROM users WHERE email = $1',
};

@Injectable()
export class AuthService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
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
}
