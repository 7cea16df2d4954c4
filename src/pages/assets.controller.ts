import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Public } from '../common/public.decorator.js';

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

function asset(path: string, type: string): Asset {
  const body = readFileSync(path);
  return { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

/** @simplewebauthn/browser's own browser bundle (a UMD script defining `SimpleWebAuthnBrowser`), served from here, not a CDN. */
function webauthnBundle(): string {
  const entry = createRequire(import.meta.url).resolve('@simplewebauthn/browser');
  return join(dirname(entry), '..', 'dist', 'bundle', 'index.umd.min.js');
}

const here = join(import.meta.dirname, 'assets');

/**
 * The pages' stylesheet and scripts, read once at start-up and served from this origin ('self' in
 * the pages' CSP). A fixed list: no path from the request ever reaches the file system.
 */
@ApiExcludeController()
@Public()
@Controller('assets')
export class AssetsController {
  private readonly assets = new Map<string, Asset>([
    ['pages.css', asset(join(here, 'pages.css'), 'text/css; charset=utf-8')],
    ['account.js', asset(join(here, 'account.js'), 'text/javascript; charset=utf-8')],
    ['webauthn.js', asset(webauthnBundle(), 'text/javascript; charset=utf-8')],
  ]);

  @Get(':name')
  serve(@Param('name') name: string, @Res() reply: FastifyReply): void {
    const found = this.assets.get(name);
    if (!found) throw new NotFoundException('No such asset');
    // Revalidated on each use (a deploy changes them), answered 304 while unchanged.
    void reply.header('cache-control', 'no-cache').header('etag', found.etag);
    if (reply.request.headers['if-none-match'] === found.etag) return void reply.status(304).send();
    void reply.type(found.type).send(found.body);
  }
}
