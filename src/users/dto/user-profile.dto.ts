import { ApiProperty, OmitType } from '@nestjs/swagger';
import type { User } from '../entities/user.entity.js';

/** What a client may see of a user: never `passwordHash` or `tokenHash`. */
export class UserProfileDto {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty({ example: 'ada@example.com' })
  email: string;
  @ApiProperty({ nullable: true, type: String, example: 'Ada Lovelace' })
  name: string | null;
  @ApiProperty({ format: 'date-time' })
  createdAt: string;
  @ApiProperty({ format: 'date-time' })
  updatedAt: string;

  static from(user: Pick<User, 'id' | 'email' | 'name' | 'createdAt' | 'updatedAt'>): UserProfileDto {
    return {
      id: user.id,
      email: user.email,
      name: user.name,
      createdAt: user.createdAt.toISOString(),
      updatedAt: user.updatedAt.toISOString(),
    };
  }
}

export class SignupResponseDto extends OmitType(UserProfileDto, ['updatedAt'] as const) {}
