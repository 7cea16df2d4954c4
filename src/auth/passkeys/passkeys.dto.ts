import { ApiProperty, ApiPropertyOptional, PartialType, PickType } from '@nestjs/swagger';
import { IsObject, IsOptional, IsUUID } from 'class-validator';
import { IsStorableText } from '../../common/validators.js';
import { SignupDto } from '../dto/auth.dto.js';

export class RegisterPasskeyDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'RegistrationResponseJSON, as @simplewebauthn/browser startRegistration() returns it.',
  })
  @IsObject()
  response: Record<string, unknown>;

  @ApiPropertyOptional({
    example: 'Laptop',
    minLength: 1,
    maxLength: 64,
    description: 'A name to tell your passkeys apart; default "Passkey".',
  })
  @IsOptional()
  @IsStorableText(1, 64)
  name?: string;
}

export class PasskeyLoginOptionsDto extends PartialType(PickType(SignupDto, ['email'] as const)) {}

export class PasskeyLoginDto {
  @ApiProperty({ format: 'uuid', description: 'The `challengeId` of POST /auth/passkeys/login/options.' })
  @IsUUID('all', { message: 'challengeId must be the challengeId of the login options' })
  challengeId: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'AuthenticationResponseJSON, as @simplewebauthn/browser startAuthentication() returns it.',
  })
  @IsObject()
  response: Record<string, unknown>;
}

export class PasskeyDto {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty({ example: 'Laptop' })
  name: string;
  @ApiProperty({ format: 'date-time' })
  createdAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  lastUsedAt: string | null;
}

/** PublicKeyCredentialRequestOptionsJSON plus the id to answer it with. */
export class PasskeyLoginOptionsResponseDto {
  @ApiProperty({ format: 'uuid', description: 'Send it back with the answer to POST /auth/passkeys/login.' })
  challengeId: string;
  @ApiProperty({ description: 'base64url' })
  challenge: string;
  @ApiProperty({ example: 300000 })
  timeout: number;
  @ApiProperty({ example: 'localhost' })
  rpId: string;
  @ApiProperty({ example: 'required' })
  userVerification: string;
  @ApiProperty({ type: 'array', items: { type: 'object' }, description: 'Empty: a discoverable credential answers.' })
  allowCredentials: unknown[];
}
