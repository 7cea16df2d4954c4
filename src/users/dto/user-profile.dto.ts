import { ApiProperty, OmitType } from '@nestjs/swagger';

/** What a client may see of a user: never `passwordHash` or `tokenHash`. */
export class UserProfileDto {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty({ example: 'ada@example.com' })
  email: string;
  @ApiProperty({ nullable: true, type: String, example: 'Ada Lovelace' })
  name: string | null;
  @ApiProperty({ example: false, description: 'Whether a verification link mailed to `email` has been used.' })
  emailVerified: boolean;
  @ApiProperty({ format: 'date-time' })
  createdAt: string;
  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

export class SignupResponseDto extends OmitType(UserProfileDto, ['updatedAt', 'emailVerified'] as const) {}
