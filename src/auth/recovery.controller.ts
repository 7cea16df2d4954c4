import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { BEARER } from '../common/swagger.js';
import { UserProfileDto } from '../users/dto/user-profile.dto.js';
import { AuthService, INVALID_LINK } from './auth.service.js';
import { ClientDevice } from './decorators/client-device.decorator.js';
import { type AuthUser, CurrentUser } from './decorators/current-user.decorator.js';
import { Public } from '../common/public.decorator.js';
import { ForgotPasswordDto, MailQueuedDto, ResetPasswordDto, VerifyEmailDto } from './dto/recovery.dto.js';
import { AuthThrottlerGuard } from './guards/auth-throttler.guard.js';
import type { Device } from './sessions/sessions.service.js';

const QUEUED_FOR_YOU = 'A verification link is on its way to your address';
const QUEUED_IF_KNOWN = 'If an account has this address, a link is on its way to it';
/** A 202 whose body is MailQueuedDto, with this message as its example. */
const queued = (description: string, message: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: getSchemaPath(MailQueuedDto) }, example: { message } } },
});
const error = (statusCode: number, error: string, message: string) => ({ schema: { example: { statusCode, message, error } } });
const INVALID_LINK_RESPONSE = error(400, 'Bad Request', INVALID_LINK);
const RATE_LIMITED = {
  description: 'Rate limited like login; see Retry-After.',
  ...error(429, 'Too Many Requests', 'Too many requests; retry after the time in Retry-After'),
};

/**
 * Account recovery by mail: verifying the address and resetting a forgotten password. Mail is
 * queued with the request's own change and sent in the background; these routes never wait for it.
 * Links have the form `${APP_URL}/verify-email?token=…` and `${APP_URL}/reset-password?token=…`.
 */
@ApiTags('auth')
@ApiExtraModels(MailQueuedDto)
@Controller('auth')
export class RecoveryController {
  constructor(private readonly auth: AuthService) {}

  @ApiBearerAuth(BEARER)
  @UseGuards(AuthThrottlerGuard)
  @Post('verify-email/request')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Mail a new email-verification link',
    description:
      'The new link makes earlier ones stop working. One mail per purpose per address per MAIL_COOLDOWN (60 s), MAIL_DAILY_LIMIT (10) per address in 24 h: past either, 429.',
  })
  @ApiAcceptedResponse(queued('The mail is queued.', QUEUED_FOR_YOU))
  @ApiUnauthorizedResponse({ description: 'Missing or invalid access token.' })
  @ApiConflictResponse({
    description: 'The address is already verified.',
    ...error(409, 'Conflict', 'The email address is already verified'),
  })
  @ApiTooManyRequestsResponse(RATE_LIMITED)
  async requestVerification(@CurrentUser() user: AuthUser): Promise<MailQueuedDto> {
    await this.auth.requestEmailVerification(user.userId);
    return { message: QUEUED_FOR_YOU };
  }

  @Public()
  @Post('verify-email')
  @HttpCode(200)
  @ApiOperation({ summary: 'Verify the address with the token of a mailed link', description: 'Each link works once.' })
  @ApiOkResponse({ type: UserProfileDto, description: 'The profile, with `emailVerified: true`.' })
  @ApiBadRequestResponse({
    description: 'Malformed token; or an unknown, used or expired one (one message for all three).',
    ...INVALID_LINK_RESPONSE,
  })
  verifyEmail(@Body() dto: VerifyEmailDto, @ClientDevice() device: Device): Promise<UserProfileDto> {
    return this.auth.verifyEmail(dto.token, device);
  }

  @Public()
  @UseGuards(AuthThrottlerGuard)
  @Post('password/forgot')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Mail a password-reset link',
    description:
      'Answers 202 for any well-formed address, doing the same work whether or not an account has it; only a real account gets a link ' +
      '(valid PASSWORD_RESET_TTL seconds, 30 min by default), which makes earlier reset links stop working. Still 202 when the ' +
      'address’s mail caps (MAIL_COOLDOWN, MAIL_DAILY_LIMIT) hold the mail back.',
  })
  @ApiAcceptedResponse(queued('Queued; a link is mailed if an account has this address.', QUEUED_IF_KNOWN))
  @ApiBadRequestResponse({ description: 'Malformed email.', ...error(400, 'Bad Request', 'email must be a valid email address') })
  @ApiTooManyRequestsResponse(RATE_LIMITED)
  async forgotPassword(@Body() dto: ForgotPasswordDto): Promise<MailQueuedDto> {
    await this.auth.forgotPassword(dto.email);
    return { message: QUEUED_IF_KNOWN };
  }

  @Public()
  @Post('password/reset')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Set a new password with the token of a mailed reset link',
    description:
      'Like a password change: the tokenHash is redrawn and every session revoked, so every access and refresh token dies and ' +
      'every device is logged out; reset links issued before stop working. Log in again with the new password.',
  })
  @ApiNoContentResponse({
    description:
      'The password is changed; the address counts as verified (if it was not, the phone number and text messages are cleared); failed logins counted against the account are forgotten.',
  })
  @ApiBadRequestResponse({
    description: 'Malformed, unknown, used or expired token, or a password outside 8-72 bytes.',
    ...INVALID_LINK_RESPONSE,
  })
  async resetPassword(@Body() dto: ResetPasswordDto, @ClientDevice() device: Device): Promise<void> {
    await this.auth.resetPassword(dto, device);
  }
}
