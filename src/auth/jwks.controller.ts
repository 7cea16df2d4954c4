import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from './decorators/public.decorator.js';
import { JwksDto } from './dto/auth.dto.js';
import { KeyStore } from './tokens/key-store.js';

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
}
