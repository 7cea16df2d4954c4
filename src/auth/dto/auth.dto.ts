import { ApiProperty, ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsOptional, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import { IsStorableText } from '../../common/validators.js';
import { IsPassword } from './password.validator.js';

const normaliseEmail = () => Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value));

export class SignupDto {
  @ApiProperty({ example: 'ada@example.com', maxLength: 254, description: 'Trimmed and stored lower-case.' })
  @normaliseEmail()
  @IsEmail({}, { message: 'email must be a valid email address' })
  // API.md, Abuse limits: a quoted local part or a control character is how header injection
  // (`"a\r\nBcc: x"@example.com`) reaches a mail; no ordinary address needs either.
  // eslint-disable-next-line no-control-regex -- control characters are what it refuses
  @Matches(/^[^"\u0000-\u001f\u007f]*$/, { message: 'email must not contain quotes or control characters' })
  @MaxLength(254, { message: 'email must be at most 254 characters' })
  email: string;

  @IsPassword()
  password: string;

  @ApiPropertyOptional({ type: String, example: 'Ada Lovelace', minLength: 1, maxLength: 100, nullable: true })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsStorableText(1, 100)
  name?: string | null;
}

export class LoginDto extends PickType(SignupDto, ['email', 'password'] as const) {}

export class RefreshDto {
  @ApiPropertyOptional({ description: 'The refresh token; may instead come in the `refresh_token` cookie.' })
  @IsOptional()
  @IsString()
  refreshToken?: string;
}

export class TokenPairDto {
  @ApiProperty({ description: 'RS256 JWT for `Authorization: Bearer`.' })
  accessToken: string;
  @ApiProperty({ description: 'RS256 JWT for POST /auth/refresh; single use.' })
  refreshToken: string;
  @ApiProperty({ example: 'Bearer' })
  tokenType: 'Bearer';
  @ApiProperty({ example: 900, description: 'Access token lifetime in seconds.' })
  expiresIn: number;
  @ApiProperty({ example: 604800, description: 'Refresh token lifetime in seconds.' })
  refreshExpiresIn: number;
}

export class SessionDto {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty({ format: 'date-time' })
  createdAt: string;
  @ApiProperty({ format: 'date-time' })
  lastUsedAt: string;
  @ApiProperty({ format: 'date-time' })
  expiresAt: string;
  @ApiProperty({ nullable: true, type: String, example: 'Mozilla/5.0' })
  userAgent: string | null;
  @ApiProperty({ nullable: true, type: String, example: '203.0.113.7' })
  ip: string | null;
  @ApiProperty({
    type: [String],
    example: ['pwd', 'otp'],
    description: 'How the session was signed in (RFC 8176): `["pwd"]` a password, `["pwd","otp"]` a password and a one-time code.',
  })
  amr: string[];

  @ApiProperty({ description: 'Whether this is the session of the token making the request.' })
  current: boolean;
}

export class JwksDto {
  @ApiProperty({
    example: [{ kty: 'RSA', use: 'sig', alg: 'RS256', kid: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs', n: '…', e: 'AQAB' }],
  })
  keys: Record<string, string>[];
}

export class PaserkKeyDto {
  @ApiProperty({
    example: 'k4.pid.9ShR3xc8-qVJ_di0tc9nx0IDIqbatdeM2mqLFBJsKRHs',
    description: 'PASERK id: the footer `kid` of tokens it signs',
  })
  kid: string;

  @ApiProperty({ example: 'k4.public.cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo8' })
  paserk: string;
}

export class PaserkSetDto {
  @ApiProperty({ type: PaserkKeyDto, isArray: true })
  keys: PaserkKeyDto[];
}
