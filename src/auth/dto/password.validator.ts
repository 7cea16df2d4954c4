import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsString, ValidateBy, type ValidationOptions } from 'class-validator';

export const PASSWORD_MIN_BYTES = 8;
/** bcrypt ignores everything past 72 bytes; a longer password is refused, never truncated. */
export const PASSWORD_MAX_BYTES = 72;

export function isAcceptablePassword(value: unknown): boolean {
  if (typeof value !== 'string' || value.includes('\0')) return false;
  const bytes = Buffer.byteLength(value, 'utf8');
  return bytes >= PASSWORD_MIN_BYTES && bytes <= PASSWORD_MAX_BYTES;
}

/** 8 to 72 bytes of UTF-8, no NUL character (API.md, Passwords). */
export function IsPassword(description = 'Password', options?: ValidationOptions) {
  return applyDecorators(
    ApiProperty({
      description: `${description}: ${PASSWORD_MIN_BYTES} to ${PASSWORD_MAX_BYTES} bytes of UTF-8, no NUL character.`,
      example: 'correct horse battery staple',
      format: 'password',
    }),
    IsString(options),
    ValidateBy(
      {
        name: 'isPassword',
        validator: {
          validate: isAcceptablePassword,
          defaultMessage: (args) =>
            `${args?.property ?? 'password'} must be ${PASSWORD_MIN_BYTES} to ${PASSWORD_MAX_BYTES} bytes of UTF-8 with no NUL character`,
        },
      },
      options,
    ),
  );
}
