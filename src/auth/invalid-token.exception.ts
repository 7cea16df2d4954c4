import { UnauthorizedException } from '@nestjs/common';
import type { AuthenticationChallenge } from '../common/www-authenticate.js';

/** A bearer token failed any check; which one is never said (RFC 6750 §3.1). */
export class InvalidTokenException extends UnauthorizedException implements AuthenticationChallenge {
  readonly wwwAuthenticate = 'Bearer error="invalid_token"';

  constructor() {
    super('Invalid or expired token');
  }
}
