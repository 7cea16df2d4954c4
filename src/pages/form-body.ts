import { UnsupportedMediaTypeException } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';

/** The page routes a browser form posts to; everything else keeps taking JSON only (common/http.ts). */
export const FORM_ROUTES: ReadonlySet<string> = new Set(['/verify-email', '/reset-password', '/forgot-password']);

/** A form here has two or three short fields; a token or a password is far below this. */
const FORM_BODY_LIMIT = 4 * 1024;

/**
 * Parses `application/x-www-form-urlencoded` for the pages' forms only, so they work without
 * JavaScript. On any other route a form post stays a 415: the API's defence against cross-site
 * simple requests is untouched. Repeated fields keep their first value; fields are plain strings.
 */
export function registerFormParser(fastify: FastifyInstance): void {
  fastify.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT },
    (request, body, done) => {
      if (request.method !== 'POST' || !FORM_ROUTES.has(request.routeOptions.url ?? '')) {
        return done(new UnsupportedMediaTypeException('This route takes JSON only'), undefined);
      }
      const fields: Record<string, string> = Object.create(null) as Record<string, string>;
      for (const [name, value] of new URLSearchParams(body as string)) if (!(name in fields)) fields[name] = value;
      done(null, fields);
    },
  );
}
