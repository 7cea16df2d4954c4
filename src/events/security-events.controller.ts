import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { type AuthUser, CurrentUser } from '../auth/decorators/current-user.decorator.js';
import { BEARER } from '../common/swagger.js';
import { SecurityEventPageDto, SecurityEventsQueryDto } from './dto/security-events.dto.js';
import { SecurityEvents } from './security-events.js';

@ApiTags('users')
@ApiBearerAuth(BEARER)
@ApiUnauthorizedResponse({ description: 'Missing or invalid access token.' })
@Controller('users/me/security-events')
export class SecurityEventsController {
  constructor(private readonly events: SecurityEvents) {}

  @Get()
  @ApiOperation({
    summary: 'What happened to your account: sign-ins, failures, password and session changes',
    description: 'Newest first, 20 a page, kept 90 days.',
  })
  @ApiOkResponse({ type: SecurityEventPageDto })
  @ApiBadRequestResponse({ description: 'The cursor is not one this list gave you (altered, another user’s, or expired).' })
  list(@CurrentUser() user: AuthUser, @Query() query: SecurityEventsQueryDto): Promise<SecurityEventPageDto> {
    return this.events.page(user.userId, query.cursor);
  }
}
