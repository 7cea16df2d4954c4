import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, ValidateIf } from 'class-validator';
import { IsDateTime, IsStorableText } from '../../common/validators.js';

export class CreateTodoDto {
  @ApiProperty({ minLength: 1, maxLength: 200, description: 'Stored verbatim, not trimmed.', example: 'Renew passport' })
  @IsStorableText(1, 200)
  title: string;

  @ApiPropertyOptional({ type: String, maxLength: 2000, nullable: true, example: 'Photo booth at the post office first' })
  @IsOptional()
  @IsStorableText(0, 2000)
  description?: string | null;

  // Present means a boolean: null is refused rather than read as "use the default".
  @ApiPropertyOptional({ default: false, example: false })
  @ValidateIf((_, value) => value !== undefined)
  @IsBoolean()
  completed?: boolean;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'RFC 3339 date-time with an offset, years 0001–9999.',
    example: '2030-01-31T17:00:00.000Z',
  })
  @IsOptional()
  @IsDateTime()
  dueAt?: string | null;
}
