import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from './decorators/public.decorator.js';
import { JwksDto, PaserkSetDto } from './dto/auth.dto.js';
import { KeyStore, type PaserkKey } from './tokens/key-store.js';

@ApiTags('keys')
@Controller('.well-known')
export class JwksController {
  constructor(@Inject(KeyStore) private readonly keys: KeyStore) {}

  @Public()
  @Get('jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({ summary: 'Public keys that verify access tokens (current and retiring), by RFC 7638 kid' })
  @ApiOkResponse({ type: JwksDto })
  jwks(): { keys: unknown[] } {
    return this.keys.jwks;
  }

  @Public()
  @Get('paserk.json')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({ summary: 'PASETO v4.public keys that verify access tokens (current and retiring), as PASERK k4.public by k4.pid' })
  @ApiOkResponse({ type: PaserkSetDto })
  paserk(): { keys: PaserkKey[] } {
    return this.keys.paserk;
  }
}
