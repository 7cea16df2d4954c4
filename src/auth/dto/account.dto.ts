import { IsPassword } from './password.validator.js';

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
