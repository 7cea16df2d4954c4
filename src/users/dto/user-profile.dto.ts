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
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'E.164: `+` and 8 to 15 digits.',
    example: '+14155550100',
  })
  phoneNumber: string | null;
  @ApiProperty({
    example: false,
    description: 'Whether the owner proved phoneNumber with a code texted to it (POST /users/me/phone/verify).',
  })
  phoneVerified: boolean;
  @ApiProperty({ description: 'A text message for every new todo; true only while a verified phoneNumber is set.', example: false })
  smsNotifications: boolean;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Until when the daily SMS cap (SMS_DAILY_LIMIT per user and per number) holds texts back; null while texts go out.',
  })
  smsSuppressedUntil: string | null;

  @ApiProperty({ description: 'Whether signing in takes a TOTP code (or a recovery code) after the password.', example: false })
  mfaEnabled: boolean;
  @ApiProperty({ format: 'date-time' })
  createdAt: string;
  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

export class SignupResponseDto extends OmitType(UserProfileDto, [
  'updatedAt',
  'emailVerified',
  'phoneNumber',
  'phoneVerified',
  'smsNotifications',
  'smsSuppressedUntil',
  'mfaEnabled',
] as const) {}
