import type { JwtModuleOptions, JwtSignOptions } from '@nestjs/jwt';
import { decodeProtectedHeader } from 'jose';
import type { KeyObject } from 'node:crypto';
import type { StrategyOptionsWithRequest } from 'passport-jwt';
import type { KeyRings } from './key-store.js';
import type { TokenPurpose } from './token-maker.js';

/** RFC 8725 §3.1: the algorithm is ours, pinned on both sides, never read from a header. */
const ALGORITHM = 'RS256';

/**
 * Every option of the RS256 JWTs, in one object that both sides read: JwtModule (signing with
 * JwtService) and the passport-jwt strategies (verifying). Each purpose has its own key pair; a
 * token's `kid` picks the verifying key among that purpose's current and retired keys only.
 */
export class JwtOptions {
  constructor(
    /** Absent when no JWT keys are present (TOKEN_FORMAT=paseto alone): then no JWT verifies. */
    private readonly rings: KeyRings | undefined,
    private readonly issuer: string,
    private readonly audience: string,
    /** Seconds: each token's lifetime, and the bound on its age by `iat` whatever its `exp` says. */
    readonly lifetimes: Readonly<Record<TokenPurpose, number>>,
  ) {}

  /** For JwtModule.registerAsync: the algorithm, `iss` and `aud` that every sign and verify uses. */
  get module(): JwtModuleOptions {
    return {
      signOptions: { algorithm: ALGORITHM, issuer: this.issuer, audience: this.audience },
      verifyOptions: { algorithms: [ALGORITHM], issuer: this.issuer, audience: this.audience },
    };
  }

  /** What JwtService.signAsync needs for a token of `purpose`: the module's options, the key, its `kid`, the lifetime. */
  sign(purpose: TokenPurpose): JwtSignOptions {
    const ring = this.rings?.[purpose];
    if (!ring) throw new Error('no JWT keys are loaded');
    return { ...this.module.signOptions, privateKey: ring.privateKey, keyid: ring.kid, expiresIn: this.lifetimes[purpose] };
  }

  /** passport-jwt's options for `purpose`: the module's verify options, the age bound, and the key the `kid` names. */
  strategy(purpose: TokenPurpose, jwtFromRequest: (request: unknown) => string | null): StrategyOptionsWithRequest {
    return {
      jwtFromRequest,
      algorithms: this.module.verifyOptions!.algorithms,
      issuer: this.issuer,
      audience: this.audience,
      jsonWebTokenOptions: { maxAge: this.lifetimes[purpose] },
      passReqToCallback: true,
      secretOrKeyProvider: (_request, token: string, done) => {
        const key = this.verifyingKey(purpose, token);
        // jsonwebtoken takes a KeyObject as well as a PEM; passport-jwt's types say only the latter.
        if (key) done(null, key as unknown as Buffer);
        else done(new Error('no key of this purpose has that kid'));
      },
    };
  }

  /** The RSA signature lengths (bytes) of this purpose's keys: a signature of any other length is refused unread. */
  signatureLengths(purpose: TokenPurpose): ReadonlySet<number> {
    return new Set([...(this.rings?.[purpose].verifying.values() ?? [])].map((key) => key.asymmetricKeyDetails!.modulusLength! / 8));
  }

  private verifyingKey(purpose: TokenPurpose, token: string): KeyObject | undefined {
    let kid: unknown;
    try {
      ({ kid } = decodeProtectedHeader(token));
    } catch {
      return undefined;
    }
    return typeof kid === 'string' ? this.rings?.[purpose].verifying.get(kid) : undefined;
  }
}
