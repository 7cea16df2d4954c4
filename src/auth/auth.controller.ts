import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Res, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { BEARER } from '../common/swagger.js';
import { SignupResponseDto } from '../users/dto/user-profile.dto.js';
import { AuthService } from './auth.service.js';
import { ClientDevice } from './decorators/client-device.decorator.js';
import { type AuthUser, CurrentUser } from './decorators/current-user.decorator.js';
import { Public } from '../common/public.decorator.js';
import { LoginDto, RefreshDto, SessionDto, SignupDto, TokenPairDto } from './dto/auth.dto.js';
import { AuthThrottlerGuard } from './guards/auth-throttler.guard.js';
import { MfaChallengeDto } from './mfa/dto/mfa.dto.js';
import { RefreshTokenGuard } from './guards/token.guards.js';
import { RefreshCookie } from './refresh-cookie.js';
import { type Device, SessionsService } from './sessions/sessions.service.js';
import type { RefreshClaims, TokenPair } from './tokens/token.service.js';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly sessions: SessionsService,
    private readonly cookie: RefreshCookie,
  ) {}

  @Public()
  @UseGuards(AuthThrottlerGuard)
  @Post('signup')
  @ApiOperation({ summary: 'Create an account' })
  @ApiCreatedResponse({ type: SignupResponseDto })
  @ApiBadRequestResponse({ description: 'Invalid email, password (8-72 bytes, no NUL) or name; unknown fields.' })
  @ApiConflictResponse({ description: 'The email is taken (case-insensitive).' })
  @ApiTooManyRequestsResponse({ description: 'Rate limited; see Retry-After.' })
  @ApiServiceUnavailableResponse({ description: 'Password checking is busy (bcrypt-queue, BCRYPT_QUEUE_LIMIT); Retry-After: 1.' })
  signup(@Body() dto: SignupDto): Promise<SignupResponseDto> {
    return this.auth.signup(dto);
  }

  @Public()
  @UseGuards(AuthThrottlerGuard)
  @Post('login')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Log in: opens a session, returns a token pair and sets the refresh_token cookie',
    description:
      'With two-factor authentication on, the answer is `{ mfaRequired: true, mfaToken, mfaTokenExpiresIn }` instead: ' +
      'no session, no pair and no cookie until POST /auth/login/mfa receives the mfaToken with a code.',
  })
  @ApiExtraModels(TokenPairDto, MfaChallengeDto)
  @ApiOkResponse({
    description: 'A token pair; or, with two-factor authentication on, an mfaToken for POST /auth/login/mfa.',
    schema: { oneOf: [{ $ref: getSchemaPath(TokenPairDto) }, { $ref: getSchemaPath(MfaChallengeDto) }] },
    examples: {
      'token pair': {
        summary: 'Two-factor authentication off',
        value: {
          accessToken: 'eyJhbGciOiJSUzI1NiIs…',
          refreshToken: 'eyJhbGciOiJSUzI1NiIs…',
          tokenType: 'Bearer',
          expiresIn: 900,
          refreshExpiresIn: 604800,
        },
      },
      'second factor needed': {
        summary: 'Two-factor authentication on',
        value: { mfaRequired: true, mfaToken: 'q0S3JbTq6lBqK5p8x1yZt2Wc9eV4uN7mA0dF3gH6jKw', mfaTokenExpiresIn: 300 },
      },
    },
  })
  @ApiBadRequestResponse({ description: 'Invalid body.' })
  @ApiUnauthorizedResponse({ description: 'Invalid email or password.' })
  @ApiTooManyRequestsResponse({
    description:
      'Rate limited per client address (AUTH_RATE_LIMIT), or too many failed logins for this email from any address ' +
      '(login-per-account, LOGIN_ACCOUNT_LIMIT per LOGIN_ACCOUNT_WINDOW; a password reset clears it), or a check for this account is in progress; see Retry-After.',
  })
  @ApiServiceUnavailableResponse({ description: 'Password checking is busy (bcrypt-queue, BCRYPT_QUEUE_LIMIT); Retry-After: 1.' })
  async login(
    @Body() dto: LoginDto,
    @ClientDevice() device: Device,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenPair | MfaChallengeDto> {
    const answer = await this.auth.login(dto, device);
    // The password alone sets no cookie when a second factor is due.
    return 'mfaRequired' in answer ? answer : this.cookie.set(reply, answer);
  }

  @Public()
  @UseGuards(AuthThrottlerGuard, RefreshTokenGuard)
  @Post('refresh')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Trade a refresh token (body or refresh_token cookie) for a new pair',
    description: 'The presented token is spent. Presenting a spent token again revokes its whole session.',
  })
  @ApiBody({ type: RefreshDto, required: false })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiUnauthorizedResponse({ description: 'Invalid, expired, revoked or already spent refresh token.' })
  @ApiTooManyRequestsResponse({ description: 'Rate limited; see Retry-After.' })
  async refresh(
    @CurrentUser() claims: unknown,
    @Body() _body: RefreshDto,
    @ClientDevice() device: Device,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenPair> {
    return this.cookie.set(reply, await this.auth.refresh(claims as RefreshClaims, device));
  }

  @ApiBearerAuth(BEARER)
  @Post('logout')
  @HttpCode(204)
  @ApiOperation({ summary: 'End this session: its access and refresh tokens stop working at once' })
  @ApiNoContentResponse({ description: 'Logged out; the cookie is cleared.' })
  @ApiUnauthorizedResponse({ description: 'Missing or invalid access token.' })
  async logout(
    @CurrentUser() user: AuthUser,
    @ClientDevice() device: Device,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    await this.sessions.revoke(user.sessionId, user.userId, device);
    this.cookie.clear(reply);
  }

  @ApiBearerAuth(BEARER)
  @Post('logout-all')
  @HttpCode(204)
  @ApiOperation({ summary: 'End every session of this user' })
  @ApiNoContentResponse({ description: 'Every session revoked; the cookie is cleared.' })
  @ApiUnauthorizedResponse({ description: 'Missing or invalid access token.' })
  async logoutAll(
    @CurrentUser() user: AuthUser,
    @ClientDevice() device: Device,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    await this.sessions.revokeEverywhere(user.userId, device);
    this.cookie.clear(reply);
  }

  @ApiBearerAuth(BEARER)
  @Get('sessions')
  @ApiOperation({ summary: "This user's active sessions" })
  @ApiOkResponse({ type: SessionDto, isArray: true })
  @ApiUnauthorizedResponse({ description: 'Missing or invalid access token.' })
  listSessions(@CurrentUser() user: AuthUser): Promise<SessionDto[]> {
    return this.sessions.listActive(user.userId, user.sessionId);
  }

  @ApiBearerAuth(BEARER)
  @Delete('sessions/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'End one of your sessions (another device, or this one)' })
  @ApiNoContentResponse({ description: 'Revoked.' })
  @ApiBadRequestResponse({ description: 'The id is not a UUID.' })
  @ApiNotFoundResponse({ description: 'No active session of yours has this id.' })
  @ApiUnauthorizedResponse({ description: 'Missing or invalid access token.' })
  async deleteSession(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseUUIDPipe) id: string,
    @ClientDevice() device: Device,
  ): Promise<void> {
    await this.sessions.revokeOrThrow(id, user.userId, device);
  }
}
