import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/public.decorator.js';
import { Db } from '../database/db.js';
import { Readiness } from './readiness.js';

const PROBE_TIMEOUT_MS = 2_000;

@ApiTags('service')
@Controller('health')
export class HealthController {
  constructor(
    private readonly db: Db,
    private readonly readiness: Readiness,
  ) {}

  @Public()
  @Get()
  @ApiOkResponse({ description: 'The service and its database answer.', schema: { example: { status: 'ok', database: 'up' } } })
  @ApiServiceUnavailableResponse({ description: 'The database does not answer.' })
  async check(): Promise<{ status: 'ok'; database: 'up' }> {
    await this.probeDatabase();
    return { status: 'ok', database: 'up' };
  }

  @Public()
  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process runs (restart it if this fails)' })
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Public()
  @Get('ready')
  @ApiOperation({ summary: 'Readiness: send traffic here (the database answers and the instance is not shutting down)' })
  @ApiOkResponse({ schema: { example: { status: 'ok', database: 'up' } } })
  @ApiServiceUnavailableResponse({ description: 'Shutting down (after SIGTERM), or the database does not answer.' })
  async ready(): Promise<{ status: 'ok'; database: 'up' }> {
    if (this.readiness.shuttingDown) {
      throw new ServiceUnavailableException({ statusCode: 503, status: 'shutting down', message: 'The instance is shutting down' });
    }
    await this.probeDatabase();
    return { status: 'ok', database: 'up' };
  }

  private async probeDatabase(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.db.ping(),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), PROBE_TIMEOUT_MS))),
      ]);
    } catch {
      throw new ServiceUnavailableException({ statusCode: 503, status: 'error', database: 'down', message: 'Database unavailable' });
    } finally {
      clearTimeout(timer);
    }
  }
}
