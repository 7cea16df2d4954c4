import type { JwtService } from '@nestjs/jwt';
import type { JwtOptions } from './jwt.options.js';
import type { TokenContent, TokenMaker, TokenPurpose } from './token-maker.js';

/**
 * RS256 JWTs (RFC 7519) signed by @nestjs/jwt's JwtService under JwtOptions; they are verified by
 * the passport-jwt strategies (strategies/jwt.strategy.ts) under the same options.
 */
export class JwtMaker implements TokenMaker {
  readonly format = 'jwt' as const;

  constructor(
    private readonly jwt: JwtService,
    private readonly options: JwtOptions,
  ) {}

  create<P extends TokenPurpose>(purpose: P, content: TokenContent<P>): Promise<string> {
    return this.jwt.signAsync({ ...content, typ: purpose }, this.options.sign(purpose));
  }
}
