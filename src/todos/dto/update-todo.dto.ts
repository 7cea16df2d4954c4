import { PartialType } from '@nestjs/swagger';
import { CreateTodoDto } from './create-todo.dto.js';

/**
 * Any subset of the create body. `skipNullProperties: false` validates a present null instead of
 * skipping it, so `{ "title": null }` is a 400 while `{ "description": null }` (allowed) clears it.
 */
export class UpdateTodoDto extends PartialType(CreateTodoDto, { skipNullProperties: false }) {}
