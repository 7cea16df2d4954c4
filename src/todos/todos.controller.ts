import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { type AuthUser, CurrentUser } from '../auth/decorators/current-user.decorator.js';
import { JsonDocument } from '../common/json-document.decorator.js';
import { BEARER } from '../common/swagger.js';
import { CreateTodoDto } from './dto/create-todo.dto.js';
import { ListTodosQueryDto } from './dto/list-todos-query.dto.js';
import { TodoCursorPageDto, TodoDto, TodoPageDto } from './dto/todo-response.dto.js';
import { UpdateTodoDto } from './dto/update-todo.dto.js';
import { TodosService } from './todos.service.js';

const TODO_EXAMPLE = {
  id: '6f1c2d4e-8a9b-4c3d-9e7f-1a2b3c4d5e6f',
  title: 'Renew passport',
  description: 'Photo booth at the post office first',
  completed: false,
  dueAt: '2030-01-31T17:00:00.000Z',
  createdAt: '2026-05-04T09:15:00.000Z',
  updatedAt: '2026-05-04T09:15:00.000Z',
} satisfies TodoDto;

const CURSOR_EXAMPLE = 'WyJhbGwiLCIyMDI2LTA1LTA0VDA5OjE1OjAwLjAwMDAwMFoiLCI2ZjFjMmQ0ZSJd.q3V8yXbJ0m1o7cR2tLh5Zw';

const BAD_REQUEST_EXAMPLE = {
  statusCode: 400,
  message: ['title must be a string of 1 to 200 characters without NUL or unpaired surrogates'],
  error: 'Bad Request',
};
const NOT_FOUND = {
  description: 'No todo with this id belongs to the caller (unknown, or another user’s).',
  example: { statusCode: 404, message: 'Todo not found', error: 'Not Found' },
};
const BAD_ID = {
  description: 'The id is not a UUID.',
  example: { statusCode: 400, message: 'Validation failed (uuid is expected)', error: 'Bad Request' },
};
const ID_PARAM = { name: 'id', format: 'uuid', example: TODO_EXAMPLE.id } as const;

@ApiTags('todos')
@ApiBearerAuth(BEARER)
@ApiUnauthorizedResponse({
  description: 'Missing, invalid or expired access token.',
  example: { statusCode: 401, message: 'Invalid or expired token', error: 'Unauthorized' },
})
@Controller('todos')
export class TodosController {
  constructor(private readonly todos: TodosService) {}

  @Post()
  @ApiOperation({
    summary: 'Create a todo',
    description:
      'With text messages on, a text is queued, at most SMS_DAILY_LIMIT per user and per number in 24 h; past that the todo is ' +
      'still created and the profile’s smsSuppressedUntil says until when texts are held back.',
  })
  @ApiCreatedResponse({ type: TodoDto, example: TODO_EXAMPLE })
  @ApiBadRequestResponse({ description: 'Invalid or unknown fields.', example: BAD_REQUEST_EXAMPLE })
  @ApiTooManyRequestsResponse({
    description: 'More than TODO_RATE_LIMIT (60) todos created in a minute (todos-per-user); see Retry-After.',
  })
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateTodoDto): Promise<TodoDto> {
    return this.todos.create(user.userId, dto);
  }

  @Get()
  @ApiOperation({
    summary: 'List your todos, newest first',
    description:
      'Numbered pages (`page`, up to 100) carry the total; `cursor` (empty to start, then each page’s `nextCursor`) ' +
      'reads pages without a total at the same cost at any depth.',
  })
  @ApiExtraModels(TodoPageDto, TodoCursorPageDto)
  @ApiOkResponse({
    description: 'A numbered page (TodoPageDto), or with `cursor` a cursor page (TodoCursorPageDto).',
    schema: { oneOf: [{ $ref: getSchemaPath(TodoPageDto) }, { $ref: getSchemaPath(TodoCursorPageDto) }] },
    examples: {
      page: {
        summary: 'GET /todos?page=1&limit=20',
        value: { items: [TODO_EXAMPLE], total: 21, page: 1, limit: 20, nextCursor: CURSOR_EXAMPLE },
      },
      cursor: { summary: 'GET /todos?cursor=…&limit=20', value: { items: [TODO_EXAMPLE], nextCursor: null, limit: 20 } },
    },
  })
  @ApiBadRequestResponse({
    description:
      'A query parameter is malformed or out of range (page over 100: use cursor), or the cursor was tampered with, ' +
      'issued to another user or for another completed filter.',
    examples: {
      limit: {
        summary: 'limit over 100',
        value: { statusCode: 400, message: ['limit must not be greater than 100'], error: 'Bad Request' },
      },
      page: {
        summary: 'page over 100',
        value: {
          statusCode: 400,
          message: ['page must not be greater than 100: follow nextCursor with the cursor parameter to go deeper'],
          error: 'Bad Request',
        },
      },
      cursor: {
        summary: 'tampered or another user’s cursor',
        value: { statusCode: 400, message: 'cursor is not a nextCursor issued to you: start again without it', error: 'Bad Request' },
      },
    },
  })
  @JsonDocument()
  list(@CurrentUser() user: AuthUser, @Query() query: ListTodosQueryDto): Promise<string> {
    return this.todos.list(user.userId, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get one of your todos' })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: TodoDto, example: TODO_EXAMPLE })
  @ApiBadRequestResponse(BAD_ID)
  @ApiNotFoundResponse(NOT_FOUND)
  findOne(@CurrentUser() user: AuthUser, @Param('id', ParseUUIDPipe) id: string): Promise<TodoDto> {
    return this.todos.findOne(user.userId, id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change any subset of a todo’s fields; {} changes nothing' })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: TodoDto, example: { ...TODO_EXAMPLE, completed: true, updatedAt: '2026-05-05T08:00:00.000Z' } })
  @ApiBadRequestResponse({ description: 'The id is not a UUID, or a field is invalid or unknown.', example: BAD_REQUEST_EXAMPLE })
  @ApiNotFoundResponse(NOT_FOUND)
  update(@CurrentUser() user: AuthUser, @Param('id', ParseUUIDPipe) id: string, @Body() dto: UpdateTodoDto): Promise<TodoDto> {
    return this.todos.update(user.userId, id, dto);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete one of your todos' })
  @ApiParam(ID_PARAM)
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiBadRequestResponse(BAD_ID)
  @ApiNotFoundResponse(NOT_FOUND)
  remove(@CurrentUser() user: AuthUser, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.todos.remove(user.userId, id);
  }
}
