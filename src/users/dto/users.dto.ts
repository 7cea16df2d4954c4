import { ApiProperty } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, Matches, ValidateIf } from 'class-validator';
import { E164 } from '../../notifications/sms/phone-number.js';
import { IsStorableText } from '../../common/validators.js';

export class UpdateProfileDto {
  @ApiProperty({
    type: String,
    example: 'Ada Lovelace',
    minLength: 1,
    maxLength: 100,
    nullable: true,
    required: false,
    description: 'null clears it.',
  })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsStorableText(1, 100)
  name?: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    required: false,
    pattern: E164.source,
    example: '+14155550100',
    description:
      'E.164: `+` and 8 to 15 digits; a personal (mobile) number in SMS_COUNTRIES, never premium-rate, shared-cost or the like. ' +
      'Needs a verified email (403). A new number is unverified and gets a 6-digit code by text (POST /users/me/phone/verify). ' +
      'null removes it, which also turns smsNotifications off.',
  })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @Matches(E164, { message: 'phoneNumber must be an E.164 number: + and 8 to 15 digits, e.g. +14155550100' })
  phoneNumber?: string | null;

  // Present means a boolean: null is refused rather than read as "leave it".
  @ApiProperty({
    required: false,
    example: true,
    description: 'A text message for every new todo. true needs a verified email (403) and a verified phoneNumber (400).',
  })
  @ValidateIf((_, value) => value !== undefined)
  @IsBoolean()
  smsNotifications?: boolean;
}

/** The code texted to the number being verified. */
export class VerifyPhoneDto {
  @ApiProperty({ example: '123456', pattern: '^[0-9]{6}$', description: 'The 6-digit code texted to phoneNumber.' })
  @IsString({ message: 'code must be the 6 digits texted to your number' })
  @Matches(/^[0-9]{6}$/, { message: 'code must be the 6 digits texted to your number' })
  code: string;
}
