import { applyDecorators } from '@nestjs/common';
import { ApiProperty, PickType } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { LINK_TOKEN_PATTERN } from '../recovery/link-token.js';
import { IsPassword } from './password.validator.js';
import { SignupDto } from './auth.dto.js';

const EXAMPLE_TOKEN = 'q3N0aF9l8pXr2C6wT1yUoZbV4sKdJmGhEiLnPcRfA7M';

/** The `token` of a mailed link (`…?token=<token>`): 43 characters of base64url. */
function IsLinkToken() {
  const message = 'token must be the token from the link: 43 characters of base64url';
  return applyDecorators(
    ApiProperty({
      example: EXAMPLE_TOKEN,
      pattern: LINK_TOKEN_PATTERN.source,
      description: 'The `token` query parameter of the mailed link.',
    }),
    IsString({ message }),
    Matches(LINK_TOKEN_PATTERN, { message }),
  );
}

export class VerifyEmailDto {
  @IsLinkToken()
  token: string;
}

export class ForgotPasswordDto extends PickType(SignupDto, ['email'] as const) {}

export class ResetPasswordDto {
  @IsLinkToken()
  token: string;

  @IsPassword('The new password')
  newPassword: string;
}

/** The answer to a request that queued a mail. */
export class MailQueuedDto {
  @ApiProperty({ example: 'If an account has this address, a link is on its way to it', description: 'What happens next.' })
  message: string;
}
