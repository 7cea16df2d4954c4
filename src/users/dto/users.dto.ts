import { ApiProperty } from '@nestjs/swagger';
import { IsOptional, ValidateIf } from 'class-validator';
import { IsStorableText } from '../../common/validators.js';

export class UpdateProfileDto {
  @ApiProperty({ type: String, example: 'Ada Lovelace', minLength: 1, maxLength: 100, nullable: true, required: false, description: 'null clears it.' })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsStorableText(1, 100)
  name?: string | null;
}
