import { BadRequestException, Body, Controller, Get, Post, Query, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiExcludeController } from '@nestjs/swagger';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import type { FastifyReply } from 'fastify';
import { AuthService } from '../auth/auth.service.js';
import { ClientDevice } from '../auth/decorators/client-device.decorator.js';
import { Public } from '../common/public.decorator.js';
import { ForgotPasswordDto, ResetPasswordDto } from '../auth/dto/recovery.dto.js';
import { AuthThrottlerGuard } from '../auth/guards/auth-throttler.guard.js';
import { LINK_TOKEN_PATTERN } from '../auth/recovery/link-token.js';
import { RecoveryLinks } from '../auth/recovery/recovery-links.js';
import type { Device } from '../auth/sessions/sessions.service.js';
import type { Environment } from '../config/environment.js';
import { PageExceptionFilter } from './page-exception.filter.js';
import { sendPage } from './page-security.js';
import { views } from './views.js';

type FormFields = Record<string, string | undefined>;

/** The link's token when it has the form of one; a repeated or malformed parameter is no token. */
const tokenOf = (value: unknown): string | undefined => (typeof value === 'string' && LINK_TOKEN_PATTERN.test(value) ? value : undefined);

/**
 * The first message the API's own DTO gives for `property`, for a person: the field's name in
 * words instead of its JSON name. The rules and messages stay the DTO's (one place for each rule).
 */
async function firstError<T extends object>(
  dto: new () => T,
  fields: FormFields,
  property: keyof T & string,
  label: string,
): Promise<string | undefined> {
  const errors = await validate(plainToInstance(dto, fields), { whitelist: true });
  const message = Object.values(errors.find((e) => e.property === property)?.constraints ?? {})[0];
  return message?.replace(new RegExp(`^${property}\\b`), label);
}

/**
 * The pages people open from mail, and the account page. A GET only shows; a link's token is
 * spent by the form's POST, through the same AuthService the API uses. Forms post urlencoded
 * bodies (form-body.ts) so every mail link works without JavaScript.
 */
@ApiExcludeController()
@Public()
@UseFilters(PageExceptionFilter)
@Controller()
export class PagesController {
  private readonly resetMinutes: number;

  constructor(
    private readonly auth: AuthService,
    private readonly links: RecoveryLinks,
    config: ConfigService<Environment, true>,
  ) {
    this.resetMinutes = Math.round(config.get('PASSWORD_RESET_TTL', { infer: true }) / 60);
  }

  @Get('verify-email')
  async verifyEmailPage(@Query('token') query: unknown, @Res() reply: FastifyReply): Promise<void> {
    const token = tokenOf(query);
    const live = token !== undefined && (await this.links.isLive(token, 'verify-email'));
    sendPage(reply, live ? views.verifyEmail(token) : views.deadVerificationLink());
  }

  @Post('verify-email')
  async verifyEmail(@Body() fields: FormFields, @ClientDevice() device: Device, @Res() reply: FastifyReply): Promise<void> {
    const token = tokenOf(fields?.token);
    if (!token) return sendPage(reply, views.deadVerificationLink(), 400);
    try {
      const profile = await this.auth.verifyEmail(token, device);
      sendPage(reply, views.emailVerified(profile.email));
    } catch (error) {
      if (!(error instanceof BadRequestException)) throw error;
      sendPage(reply, views.deadVerificationLink(), 400);
    }
  }

  @Get('reset-password')
  async resetPasswordPage(@Query('token') query: unknown, @Res() reply: FastifyReply): Promise<void> {
    const token = tokenOf(query);
    const live = token !== undefined && (await this.links.isLive(token, 'password-reset'));
    sendPage(reply, live ? views.resetPassword(token) : views.deadResetLink());
  }

  @Post('reset-password')
  async resetPassword(@Body() fields: FormFields, @ClientDevice() device: Device, @Res() reply: FastifyReply): Promise<void> {
    const token = tokenOf(fields?.token);
    if (!token) return sendPage(reply, views.deadResetLink(), 400);
    const form = { token, newPassword: fields.newPassword ?? '' };
    const passwordError = await firstError(ResetPasswordDto, form, 'newPassword', 'The new password');
    if (passwordError) return sendPage(reply, views.resetPassword(token, passwordError), 400);
    try {
      await this.auth.resetPassword(plainToInstance(ResetPasswordDto, form), device);
      sendPage(reply, views.passwordChanged());
    } catch (error) {
      if (!(error instanceof BadRequestException)) throw error;
      sendPage(reply, views.deadResetLink(), 400);
    }
  }

  @Get('forgot-password')
  forgotPasswordPage(@Res() reply: FastifyReply): void {
    sendPage(reply, views.forgotPassword());
  }

  /** Rate limited like the API's POST /auth/password/forgot, with the same guard. */
  @UseGuards(AuthThrottlerGuard)
  @Post('forgot-password')
  async forgotPassword(@Body() fields: FormFields, @Res() reply: FastifyReply): Promise<void> {
    const form = { email: fields?.email ?? '' };
    const emailError = await firstError(ForgotPasswordDto, form, 'email', 'The email address');
    if (emailError) return sendPage(reply, views.forgotPassword(emailError, form.email), 400);
    await this.auth.forgotPassword(plainToInstance(ForgotPasswordDto, form).email);
    sendPage(reply, views.resetLinkQueued(this.resetMinutes));
  }

  @Get('account')
  account(@Res() reply: FastifyReply): void {
    sendPage(reply, views.account());
  }
}
