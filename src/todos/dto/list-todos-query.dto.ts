import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { parseWholeNumber } from '../../common/whole-number.js';

export const MAX_LIMIT = 100;
// Issue 26: OFFSET reads and discards every row before the page, so deep pages are the cursor's job.
export const MAX_PAGE = 100;
export const MAX_CURSOR_LENGTH = 512;

/** Only plain digits become numbers; `1.5`, `1e3`, ` 2` or `` stay strings and fail @IsInt: a 400, never a silent default. */
const ToInt = () => Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? (parseWholeNumber(value) ?? value) : value));

export class ListTodosQueryDto {
  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'Only completed (true) or open (false) todos.' })
  @IsOptional()
  @IsIn(['true', 'false'])
  completed?: 'true' | 'false';

  @ApiPropertyOptional({
    type: Number,
    minimum: 1,
    maximum: MAX_PAGE,
    default: 1,
    example: 1,
    description: `Numbered pages, up to ${MAX_PAGE}; past that, follow \`nextCursor\` with \`cursor\`. Not with \`cursor\`.`,
  })
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE, { message: `page must not be greater than ${MAX_PAGE}: follow nextCursor with the cursor parameter to go deeper` })
  page?: number;

  @ApiPropertyOptional({ type: Number, minimum: 1, maximum: MAX_LIMIT, default: 20, example: 20 })
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(MAX_LIMIT)
  limit: number = 20;

  @ApiPropertyOptional({
    type: String,
    maxLength: MAX_CURSOR_LENGTH,
    description:
      'The `nextCursor` of the page before, to read the next one at the same cost at any depth; empty to start ' +
      'at the newest todo. Answers `{ items, nextCursor, limit }`. Only the user it was issued to can use it, ' +
      'with the same `completed` filter.',
    example: '',
  })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_CURSOR_LENGTH)
  @Matches(/^[A-Za-z0-9_.-]*$/, { message: 'cursor must be a nextCursor from an earlier page' })
  cursor?: string;
}
