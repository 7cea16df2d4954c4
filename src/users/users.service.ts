import { Injectable } from '@nestjs/common';
import { InvalidTokenException } from '../common/all-exceptions.filter.js';
import { Db } from '../database/db.js';
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
    if (dto.name === undefined) return this.profile(userId);
    return existing(await this.db.one(USERS.updateName, [userId, dto.name]));
  }
}

/** The session check passed, so the user existed a moment ago: no row means deleted since. */
function existing(profile: UserProfileDto | undefined): UserProfileDto {
  if (!profile) throw new InvalidTokenException();
  return profile;
}
