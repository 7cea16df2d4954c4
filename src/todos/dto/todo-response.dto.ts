import { ApiProperty } from '@nestjs/swagger';

/** A todo as the API shows it: never the owner. */
export class TodoDto {
  @ApiProperty({ format: 'uuid', example: '6f1c2d4e-8a9b-4c3d-9e7f-1a2b3c4d5e6f' })
  id: string;

  @ApiProperty({ example: 'Renew passport' })
  title: string;

  @ApiProperty({ type: String, nullable: true, example: 'Photo booth at the post office first' })
  description: string | null;

  @ApiProperty({ example: false })
  completed: boolean;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: '2030-01-31T17:00:00.000Z' })
  dueAt: string | null;

  @ApiProperty({ format: 'date-time', example: '2026-05-04T09:15:00.000Z' })
  createdAt: string;

  @ApiProperty({ format: 'date-time', example: '2026-05-04T09:15:00.000Z' })
  updatedAt: string;
}

const NEXT_CURSOR = {
  type: String,
  nullable: true,
  description: 'Pass as `cursor` for the page after this one; null on the last page.',
  example: 'WyJhbGwiLCIyMDI2LTA1LTA0VDA5OjE1OjAwLjAwMDAwMFoiLCI2ZjFjMmQ0ZSJd.q3V8yXbJ0m1o7cR2tLh5Zw',
} as const;

/** A numbered page (`page`, up to 100). */
export class TodoPageDto {
  @ApiProperty({ type: [TodoDto], description: 'Newest first.' })
  items: TodoDto[];

  @ApiProperty({ description: 'Todos matching the filter, across all pages.', example: 42 })
  total: number;

  @ApiProperty({ example: 1 })
  page: number;

  @ApiProperty({ example: 20 })
  limit: number;

  @ApiProperty(NEXT_CURSOR)
  nextCursor: string | null;
}

/** A page read with `cursor`: no total and no page number, so it costs the same at any depth. */
export class TodoCursorPageDto {
  @ApiProperty({ type: [TodoDto], description: 'Newest first.' })
  items: TodoDto[];

  @ApiProperty(NEXT_CURSOR)
  nextCursor: string | null;

  @ApiProperty({ example: 20 })
  limit: number;
}
