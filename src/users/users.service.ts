import { BadRequestException, ConflictException, ForbiddenException, Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { newTokenHash, PasswordService } from '../auth/password.service.js';
import { type Device, SessionsService } from '../auth/sessions/sessions.service.js';
import { type TokenPair, TokenService } from '../auth/tokens/token.service.js';
import { InvalidTokenException } from '../common/all-exceptions.filter.js';
import { isoUtc, modifyReturning, pgErrorCode, Sql, type Statement } from '../database/sql.js';
import type { UserProfileDto } from './dto/user-profile.dto.js';
import type { ChangePasswordDto, UpdateProfileDto } from './dto/users.dto.js';
import { User } from './entities/user.entity.js';

const PROFILE = `id, email, name, phone_number, sms_notifications,
  ${isoUtc('created_at')} AS created_at, ${isoUtc('updated_at')} AS updated_at`;
const PROFILE_BY_ID: Statement = { name: 'user_profile', text: `SELECT ${PROFILE} FROM users WHERE id = $1` };
/**
 * $2/$4 say whether name/phoneNumber were given ($3/$5 their values), $6 is smsNotifications or
 * null. One statement, so the rule holds whatever else runs at once: removing the number turns text
 * messages off, unless the same request asks to keep them on, which (like opting in without a number)
 * the users_sms_needs_phone check refuses.
 */
const UPDATE_PROFILE: Statement = {
  name: 'user_update_profile',
  text: `UPDATE users SET
      name = CASE WHEN $2::boolean THEN $3::varchar ELSE name END,
      phone_number = CASE WHEN $4::boolean THEN $5::varchar ELSE phone_number END,
      sms_notifications = CASE
        WHEN (CASE WHEN $4::boolean THEN $5::varchar ELSE phone_number END) IS NULL AND $6::boolean IS NOT TRUE THEN false
        ELSE COALESCE($6::boolean, sms_notifications) END,
      updated_at = now()
    WHERE id = $1 RETURNING ${PROFILE}`,
};
interface ProfileRow {
  id: string;
  email: string;
  name: string | null;
  phone_number: string | null;
  sms_notifications: boolean;
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
    return toProfile(await this.sql.row<ProfileRow>(PROFILE_BY_ID, [userId]));
  }

  async updateProfile(userId: string, dto: UpdateProfileDto): Promise<UserProfileDto> {
    if (dto.name === undefined && dto.phoneNumber === undefined && dto.smsNotifications === undefined) {
      return this.profile(userId);
    }
    try {
      const row = await this.sql.row<ProfileRow>(UPDATE_PROFILE, [
        userId,
        dto.name !== undefined,
        dto.name ?? null,
        dto.phoneNumber !== undefined,
        dto.phoneNumber ?? null,
        dto.smsNotifications ?? null,
      ]);
      return toProfile(row);
    } catch (error) {
      if (pgErrorCode(error) === PG_CHECK_VIOLATION && (error as { constraint?: string }).constraint === 'users_sms_needs_phone') {
        throw new BadRequestException('smsNotifications can be true only while a phoneNumber is set');
      }
      throw error;
    }
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

const PG_CHECK_VIOLATION = '23514';

/** The session check passed, so the user existed a moment ago: no row means deleted since. */
function toProfile(user: ProfileRow | undefined): UserProfileDto {
  if (!user) throw new InvalidTokenException();
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    phoneNumber: user.phone_number,
    smsNotifications: user.sms_notifications,
    createdAt: user.created_at,
    updatedAt: user.updated_at,
  };
}
