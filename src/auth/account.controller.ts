import { Body, Controller, Delete, HttpCode, Post, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { BEARER } from '../common/swagger.js';
import { AuthService } from './auth.service.js';
import { ClientDevice } from './decorators/client-device.decorator.js';
import { type AuthUser, CurrentUser } from './decorators/current-user.decorator.js';
import { ChangePasswordDto, DeleteAccountDto } from './dto/account.dto.js';
import { TokenPairDto } from './dto/auth.dto.js';
import { RefreshCookie } from './refresh-cookie.js';
import type { Device } from './sessions/sessions.service.js';
import type { TokenPair } from './tokens/token.service.js';

const PASSWORD_CHECK_LIMITED = {
  description:
    'Too many wrong passwords for this user (password-check-per-user: PASSWORD_CHECK_LIMIT per PASSWORD_CHECK_WINDOW, 5 per 15 min), ' +
    'or a check for this user is in progress; see Retry-After.',
};

/**
 * The credential routes of the signed-in account. They live where the contract puts them, beside
 * the profile (users/), but their rules are auth's. Operation ids are the ones clients were
 * generated with when these routes sat in UsersController.
 */
@ApiTags('users')
@ApiBearerAuth(BEARER)
@ApiUnauthorizedResponse({ description: 'Missing or invalid access token.' })
@Controller('users/me')
export class AccountController {
  constructor(
    private readonly auth: AuthService,
    private readonly cookie: RefreshCookie,
  ) {}

  @Post('password')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'UsersController_changePassword',
    summary: 'Change your password',
    description: 'Revokes every session and every earlier refresh token; returns a new pair for this device.',
  })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiBadRequestResponse({ description: 'Invalid password (8-72 bytes, no NUL), or the new one equals the current one.' })
  @ApiForbiddenResponse({ description: 'The current password is wrong.' })
  @ApiConflictResponse({ description: 'Another request changed the password meanwhile.' })
  @ApiTooManyRequestsResponse(PASSWORD_CHECK_LIMITED)
  @ApiServiceUnavailableResponse({ description: 'Password checking is busy (bcrypt-queue, BCRYPT_QUEUE_LIMIT); Retry-After: 1.' })
  async changePassword(
    @CurrentUser() user: AuthUser,
    @Body() dto: ChangePasswordDto,
    @ClientDevice() device: Device,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenPair> {
    return this.cookie.set(reply, await this.auth.changePassword(user.userId, user.sessionId, dto, device));
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({ operationId: 'UsersController_remove', summary: 'Delete your account, sessions and todos' })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiBadRequestResponse({ description: 'The password is missing or malformed (8-72 bytes, no NUL).' })
  @ApiForbiddenResponse({ description: 'The password is wrong.' })
  @ApiTooManyRequestsResponse(PASSWORD_CHECK_LIMITED)
  @ApiServiceUnavailableResponse({ description: 'Password checking is busy (bcrypt-queue, BCRYPT_QUEUE_LIMIT); Retry-After: 1.' })
  async deleteAccount(
    @CurrentUser() user: AuthUser,
    @Body() dto: DeleteAccountDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    await this.auth.deleteAccount(user.userId, dto.password);
    this.cookie.clear(reply);
  }
}
