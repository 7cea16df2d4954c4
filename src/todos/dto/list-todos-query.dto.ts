import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';

export const MAX_LIMIT = 100;
// Keeps (page - 1) * limit an exact integer well inside bigint, so OFFSET never overflows into a 500.
export const MAX_PAGE = 1_000_000_000;

/** Only plain digits become numbers; `1.5`, `1e3`, ` 2` or `` stay strings and fail @IsInt: a 400, never a silent default. */
const ToInt = () =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value));

export class ListTodosQueryDto {
  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'Only completed (true) or open (false) todos.' })
  @IsOptional()
  @IsIn(['true', 'false'])
  completed?: 'true' | 'false';

  @ApiPropertyOptional({ type: Number, minimum: 1, maximum: MAX_PAGE, default: 1, example: 1 })
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE)
  page: number = 1;

  @ApiPropertyOptional({ type: Number, minimum: 1, maximum: MAX_LIMIT, default: 20, example: 20 })
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(MAX_LIMIT)
  limit: number = 20;
}
