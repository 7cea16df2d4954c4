import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/public.decorator.js';
import { JwksDto, PaserkSetDto } from './dto/auth.dto.js';
import { KeyStore, type PaserkKey } from './tokens/key-store.js';

/** How long a verifier may cache either key set: it sees a rotated-in key within five minutes. */
const KEY_SET_CACHE = 'public, max-age=300';

/** The published verification keys: anyone may fetch them, so the whole controller is public. */
@Public()
@ApiTags('keys')
@Controller('.well-known')
export class JwksController {
  constructor(@Inject(KeyStore) private readonly keys: KeyStore) {}

  @Get('jwks.json')
  @Header('Cache-Control', KEY_SET_CACHE)
  @ApiOperation({ summary: 'Public keys that verify access tokens (current and retiring), by RFC 7638 kid' })
  @ApiOkResponse({ type: JwksDto })
  jwks(): { keys: unknown[] } {
    return this.keys.jwks;
  }

  @Get('paserk.json')
  @Header('Cache-Control', KEY_SET_CACHE)
  @ApiOperation({ summary: 'PASETO v4.public keys that verify access tokens (current and retiring), as PASERK k4.public by k4.pid' })
  @ApiOkResponse({ type: PaserkSetDto })
  paserk(): { keys: PaserkKey[] } {
    return this.keys.paserk;
  }
}
