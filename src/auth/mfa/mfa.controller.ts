import { Body, Controller, HttpCode, Post, Res, UseGuards, UseInterceptors } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { BEARER } from '../../common/swagger.js';
import { ClientDevice } from '../decorators/client-device.decorator.js';
import { type AuthUser, CurrentUser } from '../decorators/current-user.decorator.js';
import { Public } from '../../common/public.decorator.js';
import { TokenPairDto } from '../dto/auth.dto.js';
import { AuthThrottlerGuard } from '../guards/auth-throttler.guard.js';
import { RefreshCookie } from '../refresh-cookie.js';
import type { Device } from '../sessions/sessions.service.js';
import type { TokenPair } from '../tokens/token.service.js';
import { LoginMfaDto, MfaConfirmDto, RecoveryCodesDto, TotpEnableDto, TotpSetupDto, TotpSetupRequestDto } from './dto/mfa.dto.js';
import { RetryAfterInterceptor } from './mfa-limits.js';
import { MfaService } from './mfa.service.js';

const TOO_MANY_CODES = 'Too many wrong codes or passwords for this account (5 per 15 minutes); see Retry-After.';

/** The second factor (API.md, "Second factor — TOTP and recovery codes"). */
@ApiTags('mfa')
@UseInterceptors(RetryAfterInterceptor)
@Controller('auth')
export class MfaController {
  constructor(
    private readonly mfa: MfaService,
    private readonly cookie: RefreshCookie,
  ) {}

  @ApiBearerAuth(BEARER)
  @Post('mfa/totp/setup')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Start enrolling an authenticator app',
    description:
      'Answers a new secret (base32, otpauth:// URI and a QR code); it is shown once and takes effect after POST /auth/mfa/totp/enable with a correct code.',
  })
  @ApiOkResponse({ type: TotpSetupDto })
  @ApiBadRequestResponse({ description: 'The password is missing or malformed.' })
  @ApiUnauthorizedResponse({ description: 'Missing or invalid access token.' })
  @ApiForbiddenResponse({ description: 'The password is wrong.' })
  @ApiConflictResponse({ description: 'Two-factor authentication is already enabled.' })
  setup(@CurrentUser() user: AuthUser, @Body() dto: TotpSetupRequestDto): Promise<TotpSetupDto> {
    return this.mfa.setup(user.userId, dto.password);
  }

  @ApiBearerAuth(BEARER)
  @Post('mfa/totp/enable')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Turn two-factor authentication on with a first correct code',
    description: 'Answers 10 recovery codes, shown once. Mails the user.',
  })
  @ApiOkResponse({ type: RecoveryCodesDto })
  @ApiBadRequestResponse({ description: 'Wrong code, or no setup to enable.' })
  @ApiUnauthorizedResponse({ description: 'Missing or invalid access token.' })
  @ApiConflictResponse({ description: 'Two-factor authentication is already enabled.' })
  @ApiTooManyRequestsResponse({ description: TOO_MANY_CODES })
  enable(@CurrentUser() user: AuthUser, @Body() dto: TotpEnableDto, @ClientDevice() device: Device): Promise<RecoveryCodesDto> {
    return this.mfa.enable(dto.code, { ...user, ...device });
  }

  @ApiBearerAuth(BEARER)
  @Post('mfa/disable')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Turn two-factor authentication off',
    description: 'Needs the password and a code (or a recovery code). Ends every other session and mails the user.',
  })
  @ApiNoContentResponse({ description: 'Off; the recovery codes are gone too.' })
  @ApiBadRequestResponse({ description: 'The password or code is missing or malformed.' })
  @ApiUnauthorizedResponse({ description: 'Missing or invalid access token.' })
  @ApiForbiddenResponse({ description: 'Wrong password or code.' })
  @ApiConflictResponse({ description: 'Two-factor authentication is not enabled.' })
  @ApiTooManyRequestsResponse({ description: TOO_MANY_CODES })
  async disable(@CurrentUser() user: AuthUser, @Body() dto: MfaConfirmDto, @ClientDevice() device: Device): Promise<void> {
    await this.mfa.disable(dto.password, dto.code, { ...user, ...device });
  }

  @ApiBearerAuth(BEARER)
  @Post('mfa/recovery-codes')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Draw 10 new recovery codes',
    description: 'Needs the password and a code (or a recovery code); the earlier codes stop working.',
  })
  @ApiOkResponse({ type: RecoveryCodesDto })
  @ApiBadRequestResponse({ description: 'The password or code is missing or malformed.' })
  @ApiUnauthorizedResponse({ description: 'Missing or invalid access token.' })
  @ApiForbiddenResponse({ description: 'Wrong password or code.' })
  @ApiConflictResponse({ description: 'Two-factor authentication is not enabled.' })
  @ApiTooManyRequestsResponse({ description: TOO_MANY_CODES })
  regenerateRecoveryCodes(@CurrentUser() user: AuthUser, @Body() dto: MfaConfirmDto): Promise<RecoveryCodesDto> {
    return this.mfa.regenerateRecoveryCodes(user.userId, dto.password, dto.code);
  }

  @Public()
  @UseGuards(AuthThrottlerGuard)
  @Post('login/mfa')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Second step of a login: the mfaToken and a code (or a recovery code)',
    description:
      'Opens the session (`amr: ["pwd","otp"]`), returns a token pair and sets the refresh_token cookie, as a login does. ' +
      'A code is accepted once; an mfaToken works once and for 5 tries.',
  })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiBadRequestResponse({ description: 'Wrong code (5 tries per mfaToken), or an invalid body.' })
  @ApiUnauthorizedResponse({ description: 'Invalid, used or expired mfaToken, or out of tries: log in again.' })
  @ApiTooManyRequestsResponse({ description: `Rate limited per client, or ${TOO_MANY_CODES}` })
  async loginMfa(
    @Body() dto: LoginMfaDto,
    @ClientDevice() device: Device,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenPair> {
    return this.cookie.set(reply, await this.mfa.completeLogin(dto, device));
  }
}
