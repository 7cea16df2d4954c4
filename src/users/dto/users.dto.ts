import { ApiProperty } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength, ValidateIf } from 'class-validator';
import { IsPassword } from '../../auth/dto/password.validator.js';

export class UpdateProfileDto {
  @ApiProperty({ example: 'Ada Lovelace', maxLength: 100, nullable: true, required: false })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsString()
  @MaxLength(100)
  name?: string | null;
}

export class ChangePasswordDto {
  @IsPassword('The current password')
  currentPassword: string;

  @IsPassword('The new password')
  newPassword: string;
}

export class DeleteAccountDto {
  @ApiProperty({ description: 'The current password, to confirm.', format: 'password' })
  @IsString()
  @MaxLength(1024)
  password: string;
}
