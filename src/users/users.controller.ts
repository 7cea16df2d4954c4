import { Body, Controller, Get, HttpCode, Patch, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { type AuthUser, CurrentUser } from '../auth/decorators/current-user.decorator.js';
import { JsonDocument } from '../common/json-document.decorator.js';
import { BEARER } from '../common/swagger.js';
import { UserProfileDto } from './dto/user-profile.dto.js';
import { UpdateProfileDto, VerifyPhoneDto } from './dto/users.dto.js';
import { PhoneVerification } from './phone/phone-verification.service.js';
import { ClientDevice } from '../auth/decorators/client-device.decorator.js';
import type { Device } from '../auth/sessions/sessions.service.js';
import { UsersService } from './users.service.js';

const CODE_SENT = 'A new code is on its way to your phone number';

/** The profile. The account's credential routes (password, deletion) under the same path are auth's AccountController. */
@ApiTags('users')
@ApiBearerAuth(BEARER)
@ApiUnauthorizedResponse({ description: 'Missing or invalid access token.' })
@Controller('users/me')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly phone: PhoneVerification,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Your profile' })
  @ApiOkResponse({ type: UserProfileDto })
  @JsonDocument()
  profile(@CurrentUser() user: AuthUser): Promise<string> {
    return this.users.profileJson(user.userId);
  }

  @Patch()
  @ApiOperation({
    summary: 'Change your name, phone number or text-message setting',
    description:
      'A new phoneNumber is stored unverified, turns smsNotifications off, and gets a 6-digit code by text (through the queue, ' +
      'within SMS_DAILY_LIMIT); prove it with POST /users/me/phone/verify before turning smsNotifications on.',
  })
  @ApiOkResponse({ type: UserProfileDto })
  @ApiBadRequestResponse({
    description:
      'Invalid name or unknown fields; a malformed number, or one refused (not a personal/mobile number, e.g. premium-rate or shared-cost, ' +
      'or outside SMS_COUNTRIES); smsNotifications true without a verified number.',
  })
  @ApiForbiddenResponse({ description: 'Setting a phoneNumber or smsNotifications: true needs a verified email address.' })
  update(@CurrentUser() user: AuthUser, @Body() dto: UpdateProfileDto): Promise<UserProfileDto> {
    return this.users.updateProfile(user.userId, dto);
  }

  @Post('phone/code')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Text a new verification code to your unverified phone number',
    description: 'The earlier code stops working. One code per PHONE_CODE_COOLDOWN (60 s); codes count against SMS_DAILY_LIMIT.',
  })
  @ApiAcceptedResponse({ description: 'The text is queued.', schema: { example: { message: CODE_SENT } } })
  @ApiForbiddenResponse({ description: 'The email address is not verified.' })
  @ApiConflictResponse({ description: 'No phone number is set, or it is already verified.' })
  @ApiTooManyRequestsResponse({
    description: 'A code was sent less than a cooldown ago, or the daily SMS cap is reached; see Retry-After.',
  })
  async resendCode(@CurrentUser() user: AuthUser): Promise<{ message: string }> {
    await this.phone.resendCode(user.userId);
    return { message: CODE_SENT };
  }

  @Post('phone/verify')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Prove your phone number with the code texted to it',
    description: 'A code lives 10 minutes, works once, and allows 5 tries; then ask for a new one.',
  })
  @ApiOkResponse({ type: UserProfileDto, description: 'The profile, with `phoneVerified: true`.' })
  @ApiBadRequestResponse({ description: 'Not 6 digits; or a wrong, expired, used or used-up code (one message for all).' })
  verifyPhone(@CurrentUser() user: AuthUser, @Body() dto: VerifyPhoneDto, @ClientDevice() device: Device): Promise<UserProfileDto> {
    return this.phone.verify(dto.code, { ...user, ...device });
  }
}
