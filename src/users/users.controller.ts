import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { deviceOf } from '../auth/sessions/device.js';
import { type AuthUser, CurrentUser } from '../auth/decorators/current-user.decorator.js';
import { TokenPairDto } from '../auth/dto/auth.dto.js';
import { RefreshCookie } from '../auth/refresh-cookie.js';
import type { TokenPair } from '../auth/tokens/token.service.js';
import { BEARER } from '../common/swagger.js';
import { UserProfileDto } from './dto/user-profile.dto.js';
import { ChangePasswordDto, DeleteAccountDto, UpdateProfileDto } from './dto/users.dto.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@ApiBearerAuth(BEARER)
@ApiUnauthorizedResponse({ description: 'Missing or invalid access token.' })
@Controller('users/me')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly cookie: RefreshCookie,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Your profile' })
  @ApiOkResponse({ type: UserProfileDto })
  profile(@CurrentUser() user: AuthUser): Promise<UserProfileDto> {
    return this.users.profile(user.userId);
  }

  @Patch()
  @ApiOperation({ summary: 'Change your name' })
  @ApiOkResponse({ type: UserProfileDto })
  @ApiBadRequestResponse({ description: 'Invalid name or unknown fields.' })
  update(@CurrentUser() user: AuthUser, @Body() dto: UpdateProfileDto): Promise<UserProfileDto> {
    return this.users.updateProfile(user.userId, dto);
  }

  @Post('password')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Change your password',
    description: 'Revokes every session and every earlier refresh token; returns a new pair for this device.',
  })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiBadRequestResponse({ description: 'Invalid password (8-72 bytes, no NUL), or the new one equals the current one.' })
  @ApiForbiddenResponse({ description: 'The current password is wrong.' })
  @ApiConflictResponse({ description: 'Another request changed the password meanwhile.' })
  async changePassword(
    @CurrentUser() user: AuthUser,
    @Body() dto: ChangePasswordDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenPair> {
    return this.cookie.set(reply, await this.users.changePassword(user.userId, dto, deviceOf(request)));
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete your account, sessions and todos' })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiBadRequestResponse({ description: 'The password is missing or malformed (8-72 bytes, no NUL).' })
  @ApiForbiddenResponse({ description: 'The password is wrong.' })
  async remove(
    @CurrentUser() user: AuthUser,
    @Body() dto: DeleteAccountDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    await this.users.deleteAccount(user.userId, dto.password);
    this.cookie.clear(reply);
  }
}
