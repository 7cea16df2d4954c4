import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import { IsPassword } from '../../dto/password.validator.js';

const CODE_EXAMPLE = '492039';
const RECOVERY_EXAMPLE = '7k3m-q9xa-2bcd-e4fg';
/** A TOTP code, or a recovery code (any case, with or without its dashes or spaces). */
const CODE_OR_RECOVERY = /^(\d{6}|[0-9A-Za-z][0-9A-Za-z -]{14,30})$/;

function IsTotpCode(): PropertyDecorator {
  return (target, key) => {
    ApiProperty({ description: 'The 6-digit code the authenticator app shows now.', example: CODE_EXAMPLE, pattern: '^\\d{6}$' })(
      target,
      key,
    );
    IsString()(target, key);
    Matches(/^\d{6}$/, { message: `${String(key)} must be the 6 digits the authenticator app shows` })(target, key);
  };
}

export class TotpSetupRequestDto {
  @IsPassword('Your password, to confirm')
  password: string;
}

export class TotpSetupDto {
  @ApiProperty({
    description: 'The shared secret, base32 (RFC 4648): for typing into an app by hand. Shown once.',
    example: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
  })
  secret: string;

  @ApiProperty({
    description: 'The same secret as a Key Uri: SHA-1, 6 digits, 30-second period.',
    example:
      'otpauth://totp/todo-api:ada%40example.com?issuer=todo-api&secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&algorithm=SHA1&digits=6&period=30',
  })
  otpauthUri: string;

  @ApiProperty({
    description: 'A QR code of otpauthUri, as an SVG document, for an authenticator app to scan.',
    example: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 37 37">…</svg>',
  })
  qrSvg: string;
}

export class TotpEnableDto {
  @IsTotpCode()
  code: string;
}

export class RecoveryCodesDto {
  @ApiProperty({
    description: '10 single-use codes, each accepted once instead of a TOTP code. Shown once: store them safely.',
    example: [RECOVERY_EXAMPLE, 'm2xa-9q3k-tt7v-0hcz', '…'],
    type: [String],
  })
  recoveryCodes: string[];
}

export class MfaConfirmDto {
  @IsPassword('Your password')
  password: string;

  @ApiProperty({ description: 'A current TOTP code, or one of your recovery codes.', example: CODE_EXAMPLE })
  @IsString()
  @Matches(CODE_OR_RECOVERY, { message: 'code must be a 6-digit code or a recovery code' })
  code: string;
}

export class LoginMfaDto {
  @ApiProperty({ description: 'From the answer of POST /auth/login.', example: 'q0S3JbTq6lBqK5p8x1yZt2Wc9eV4uN7mA0dF3gH6jKw' })
  @IsString()
  @MaxLength(4096)
  mfaToken: string;

  @ApiPropertyOptional({ description: 'The 6-digit code of the authenticator app (or give recoveryCode).', example: CODE_EXAMPLE })
  @ValidateIf((dto: LoginMfaDto) => dto.recoveryCode === undefined)
  @IsString({ message: 'code or recoveryCode is required' })
  @Matches(/^\d{6}$/, { message: 'code must be the 6 digits the authenticator app shows' })
  code?: string;

  @ApiPropertyOptional({ description: 'One of your recovery codes, instead of code; it works once.', example: RECOVERY_EXAMPLE })
  @ValidateIf((dto: LoginMfaDto) => dto.recoveryCode !== undefined)
  @IsString()
  @Matches(CODE_OR_RECOVERY, { message: 'recoveryCode must be a recovery code' })
  recoveryCode?: string;
}

export class MfaChallengeDto {
  @ApiProperty({ enum: [true], example: true, description: 'A second factor is needed: no token pair yet.' })
  mfaRequired: true;

  @ApiProperty({
    description: 'Single use; send it with a code to POST /auth/login/mfa.',
    example: 'q0S3JbTq6lBqK5p8x1yZt2Wc9eV4uN7mA0dF3gH6jKw',
  })
  mfaToken: string;

  @ApiProperty({ example: 300, description: 'Seconds the mfaToken lives.' })
  mfaTokenExpiresIn: number;
}
