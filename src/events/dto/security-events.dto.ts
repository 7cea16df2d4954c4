import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsUUID } from 'class-validator';
import { SECURITY_EVENT_TYPES, type SecurityEventType } from '../security-event.js';

export class SecurityEventsQueryDto {
  @ApiPropertyOptional({ description: 'The `nextCursor` of the page before; absent for the newest page.' })
  @IsOptional()
  @IsUUID('all', { message: 'cursor must be a nextCursor this list returned' })
  cursor?: string;
}

export class SecurityEventDto {
  @ApiProperty({ enum: SECURITY_EVENT_TYPES, example: 'login' })
  type: SecurityEventType;
  @ApiProperty({ format: 'date-time' })
  at: string;
  @ApiProperty({ nullable: true, type: String, example: '203.0.113.7' })
  ip: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'Mozilla/5.0' })
  userAgent: string | null;
  @ApiPropertyOptional({ format: 'uuid', description: 'The session the event concerns, where there is one.' })
  sessionId?: string;
}

export class SecurityEventPageDto {
  @ApiProperty({ type: SecurityEventDto, isArray: true, description: 'Newest first.' })
  items: SecurityEventDto[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as `cursor` for the next page; null on the last page.' })
  nextCursor: string | null;
}
