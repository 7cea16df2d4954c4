import { Body, Controller, Get, Patch } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { type AuthUser, CurrentUser } from '../auth/decorators/current-user.decorator.js';
import { BEARER } from '../common/swagger.js';
import { UserProfileDto } from './dto/user-profile.dto.js';
import { UpdateProfileDto } from './dto/users.dto.js';
import { UsersService } from './users.service.js';

/** The profile. The account's credential routes (password, deletion) under the same path are auth's AccountController. */
@ApiTags('users')
@ApiBearerAuth(BEARER)
@ApiUnauthorizedResponse({ description: 'Missing or invalid access token.' })
@Controller('users/me')
export class UsersController {
  constructor(private readonly users: UsersService) {}

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
}
