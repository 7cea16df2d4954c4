import { Header } from '@nestjs/common';

/**
 * For a handler that returns its answer as a finished JSON document (the profile as Postgres renders
 * it, a page of todos as the service writes it): sent as JSON as it is, where Fastify would send a
 * string as text.
 */
export const JsonDocument = () => Header('Content-Type', 'application/json; charset=utf-8');
