import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { InvalidTokenException } from '../common/all-exceptions.filter.js';
import { isoUtc, Sql, type Statement } from '../database/sql.js';
import type { UserProfileDto } from './dto/user-profile.dto.js';
import type { UpdateProfileDto } from './dto/users.dto.js';
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

/** The profile. Credentials (signup, login, password, account deletion) are auth's. */
@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly sql: Sql,
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
}
