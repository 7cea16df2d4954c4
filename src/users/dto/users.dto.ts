import { ApiProperty } from '@nestjs/swagger';
import { IsOptional, ValidateIf } from 'class-validator';
import { IsStorableText } from '../../common/validators.js';
import { IsPassword } from '../../auth/dto/password.validator.js';

export class UpdateProfileDto {
  @ApiProperty({ type: String, example: 'Ada Lovelace', minLength: 1, maxLength: 100, nullable: true, required: false, description: 'null clears it.' })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsStorableText(1, 100)
  name?: string | null;
}

export class ChangePasswordDto {
  @IsPassword('The current password')
  currentPassword: string;

  @IsPassword('The new password')
  newPassword: string;
}

export class DeleteAccountDto {
  @IsPassword('The current password, to confirm')
  password: string;
}
