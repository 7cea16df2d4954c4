import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Res, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { AuthenticationResponseJSON, PublicKeyCredentialCreationOptionsJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
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
import { PasskeyDto, PasskeyLoginDto, PasskeyLoginOptionsDto, PasskeyLoginOptionsResponseDto, RegisterPasskeyDto } from './passkeys.dto.js';
import { PASSKEY_LOGIN_FAILED, PasskeysService } from './passkeys.service.js';

const UNAUTHORIZED = { description: 'Missing or invalid access token.' };
const RATE_LIMITED = { description: 'Rate limited like login; see Retry-After.' };

/** Passkeys (WebAuthn): a signed-in user registers, lists and deletes them; anyone signs in with one. */
@ApiTags('passkeys')
@Controller('auth/passkeys')
export class PasskeysController {
  constructor(
    private readonly passkeys: PasskeysService,
    private readonly cookie: RefreshCookie,
  ) {}

  @ApiBearerAuth(BEARER)
  @Post('register/options')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Options for registering a passkey (navigator.credentials.create)',
    description: 'The challenge works once, for this user, within 5 minutes; asking again replaces it. User verification is required.',
  })
  @ApiOkResponse({ description: 'PublicKeyCredentialCreationOptionsJSON.', schema: { type: 'object', additionalProperties: true } })
  @ApiUnauthorizedResponse(UNAUTHORIZED)
  registrationOptions(@CurrentUser() user: AuthUser): Promise<PublicKeyCredentialCreationOptionsJSON> {
    return this.passkeys.registrationOptions(user.userId);
  }

  @ApiBearerAuth(BEARER)
  @Post('register')
  @ApiOperation({ summary: 'Register the passkey that answered your registration options' })
  @ApiCreatedResponse({ type: PasskeyDto })
  @ApiBadRequestResponse({
    description: 'No live challenge of yours, a response that does not verify, a duplicate, or 20 passkeys already.',
  })
  @ApiUnauthorizedResponse(UNAUTHORIZED)
  register(@CurrentUser() user: AuthUser, @Body() dto: RegisterPasskeyDto, @ClientDevice() device: Device): Promise<PasskeyDto> {
    return this.passkeys.register(dto.response as unknown as RegistrationResponseJSON, dto.name, { ...user, ...device });
  }

  @ApiBearerAuth(BEARER)
  @Get()
  @ApiOperation({ summary: 'Your passkeys' })
  @ApiOkResponse({ type: PasskeyDto, isArray: true })
  @ApiUnauthorizedResponse(UNAUTHORIZED)
  list(@CurrentUser() user: AuthUser): Promise<PasskeyDto[]> {
    return this.passkeys.list(user.userId);
  }

  @ApiBearerAuth(BEARER)
  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete one of your passkeys' })
  @ApiNoContentResponse({ description: 'Deleted; it signs in no more.' })
  @ApiBadRequestResponse({ description: 'The id is not a UUID.' })
  @ApiNotFoundResponse({ description: 'No passkey of yours has this id.' })
  @ApiUnauthorizedResponse(UNAUTHORIZED)
  async delete(@CurrentUser() user: AuthUser, @Param('id', ParseUUIDPipe) id: string, @ClientDevice() device: Device): Promise<void> {
    await this.passkeys.delete(id, { ...user, ...device });
  }

  @Public()
  @UseGuards(AuthThrottlerGuard)
  @Post('login/options')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Options for signing in with a passkey (navigator.credentials.get)',
    description:
      'Without `email`, any discoverable passkey answers; with it, only a passkey of that account does. The answer looks the same ' +
      'whether or not an account has the address. The challenge works once, within 5 minutes.',
  })
  @ApiOkResponse({ type: PasskeyLoginOptionsResponseDto })
  @ApiBadRequestResponse({ description: 'Malformed email.' })
  @ApiTooManyRequestsResponse(RATE_LIMITED)
  loginOptions(@Body() dto: PasskeyLoginOptionsDto): Promise<PasskeyLoginOptionsResponseDto> {
    return this.passkeys.loginOptions(dto.email) as Promise<PasskeyLoginOptionsResponseDto>;
  }

  @Public()
  @UseGuards(AuthThrottlerGuard)
  @Post('login')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Sign in with a passkey: opens a session like a password login, with its refresh_token cookie',
  })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiBadRequestResponse({ description: 'Malformed body.' })
  @ApiUnauthorizedResponse({
    description: `${PASSKEY_LOGIN_FAILED}: unknown, spent or expired challenge; unknown passkey or another account's; bad signature; counter went back.`,
  })
  @ApiTooManyRequestsResponse(RATE_LIMITED)
  async login(
    @Body() dto: PasskeyLoginDto,
    @ClientDevice() device: Device,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenPair> {
    return this.cookie.set(
      reply,
      await this.passkeys.login(dto.challengeId, dto.response as unknown as AuthenticationResponseJSON, device),
    );
  }
}
