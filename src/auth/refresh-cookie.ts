import type { FastifyReply } from 'fastify';

export const REFRESH_COOKIE = 'refresh_token';
const COOKIE_PATH = '/auth';

/** HttpOnly (no script reads it), SameSite=Strict (no cross-site request carries it), scoped to /auth. */
export function setRefreshCookie(reply: FastifyReply, token: string, maxAgeSeconds: number, secure: boolean): void {
  void reply.setCookie(REFRESH_COOKIE, token, {
    httpOnly: true,
    sameSite: 'strict',
    path: COOKIE_PATH,
    maxAge: maxAgeSeconds,
    secure,
  });
}

export function clearRefreshCookie(reply: FastifyReply, secure: boolean): void {
  void reply.clearCookie(REFRESH_COOKIE, { httpOnly: true, sameSite: 'strict', path: COOKIE_PATH, secure });
}
