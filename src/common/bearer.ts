/**
 * The token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1: the scheme is
 * case-insensitive, spaces after it), or undefined for any other header or none.
 */
export function bearerToken(authorization: string | undefined): string | undefined {
  return /^Bearer +(\S+) *$/i.exec(authorization ?? '')?.[1];
}
