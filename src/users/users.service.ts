import { BadRequestException, ConflictException, ForbiddenException, Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { newTokenHash, PasswordService } from '../auth/password.service.js';
import { type Device, SessionsService } from '../auth/sessions/sessions.service.js';
import { type TokenPair, TokenService } from '../auth/tokens/token.service.js';
import { InvalidTokenException } from '../common/all-exceptions.filter.js';
import { isoUtc, modifyReturning, Sql, type Statement } from '../database/sql.js';
import type { UserProfileDto } from './dto/user-profile.dto.js';
import type { ChangePasswordDto, UpdateProfileDto } from './dto/users.dto.js';
import { User } from './entities/user.entity.js';

const PROFILE_BY_ID: Statement = {
  name: 'user_profile',
  text: `SELECT id, email, name, ${isoUtc('created_at')} AS created_at, ${isoUtc('updated_at')} AS updated_at
           FROM users WHERE id = $1`,
};
interface ProfileRow {
  id: string;
  email: string;
  name: string | null;
  created_at: string;
  updated_at: string;
}

@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly sql: Sql,
    private readonly passwords: PasswordService,
    private readonly sessions: SessionsService,
    private readonly tokens: TokenService,
  ) {}

  async profile(userId: string): Promise<UserProfileDto> {
    const user = await this.sql.row<ProfileRow>(PROFILE_BY_ID, [userId]);
    // The session check passed, so the user existed a moment ago: deleted since.
    if (!user) throw new InvalidTokenException();
    return {
      id: user.id,
      email: user.email,
      name: user.name,
      createdAt: user.created_at,
      updatedAt: user.updated_at,
    };
  }

  async updateProfile(userId: string, dto: UpdateProfileDto): Promise<UserProfileDto> {
    if (dto.name !== undefined) await this.users.update({ id: userId }, { name: dto.name });
    return this.profile(userId);
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
    const sessions: { id: string }[] = await this.dataSource.query('SELECT id FROM sessions WHERE user_id = $1', [userId]);
    await this.users.delete({ id: userId });
    // Committed: this instance must not serve them from memory while their notification is on its way.
    this.sessions.forget(sessions.map((session) => session.id));
  }

  private async passwordHashOf(userId: string): Promise<string> {
    const user = await this.users.findOne({ where: { id: userId }, select: { id: true, passwordHash: true } });
    if (!user) throw new InvalidTokenException();
    return user.passwordHash;
  }
}
