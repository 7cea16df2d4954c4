import { BadRequestException, Injectable } from '@nestjs/common';
import { InvalidTokenException } from '../common/all-exceptions.filter.js';
import { Db } from '../database/db.js';
import { PG_CHECK_VIOLATION, pgErrorCode } from '../database/sql.js';
import type { UserProfileDto } from './dto/user-profile.dto.js';
import type { UpdateProfileDto } from './dto/users.dto.js';
import { USERS } from './users.sql.js';

/** The profile. Credentials (signup, login, password, account deletion) are auth's. */
@Injectable()
export class UsersService {
  constructor(private readonly db: Db) {}

  async profile(userId: string): Promise<UserProfileDto> {
    return existing(await this.db.one(USERS.profile, [userId]));
  }

  async updateProfile(userId: string, dto: UpdateProfileDto): Promise<UserProfileDto> {
    const { name, phoneNumber, smsNotifications } = dto;
    if (name === undefined && phoneNumber === undefined && smsNotifications === undefined) return this.profile(userId);
    try {
      return existing(
        await this.db.one(USERS.updateProfile, [
          userId,
          name !== undefined,
          name ?? null,
          phoneNumber !== undefined,
          phoneNumber ?? null,
          smsNotifications ?? null,
        ]),
      );
    } catch (error) {
      if (pgErrorCode(error) === PG_CHECK_VIOLATION && (error as { constraint?: string }).constraint === 'users_sms_needs_phone') {
        throw new BadRequestException('smsNotifications can be true only while a phoneNumber is set');
      }
      throw error;
    }
  }
}

/** The session check passed, so the user existed a moment ago: no row means deleted since. */
function existing(profile: UserProfileDto | undefined): UserProfileDto {
  if (!profile) throw new InvalidTokenException();
  return profile;
}
