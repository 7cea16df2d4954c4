import { Controller, Get, Headers, NotFoundException, Res, UnauthorizedException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { bearerToken } from '../common/bearer.js';
import { Public } from '../common/public.decorator.js';
import type { Environment } from '../config/environment.js';
import { MetricsService } from './metrics.service.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Prometheus scrape endpoint; with METRICS_TOKEN set, only for `Authorization: Bearer <METRICS_TOKEN>`.
 * In production without METRICS_TOKEN it is not there at all (404): an operator who forgot the
 * token exposes nothing (API.md, Abuse limits: production exposure).
 */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  private readonly token: Buffer | undefined;
  private readonly hidden: boolean;

  constructor(
    private readonly metrics: MetricsService,
    config: ConfigService<Environment, true>,
  ) {
    const token = config.get('METRICS_TOKEN', { infer: true });
    this.token = token ? digest(token) : undefined;
    this.hidden = !token && config.get('NODE_ENV', { infer: true }) === 'production';
  }

  @Public()
  @Get()
  async scrape(@Headers('authorization') authorization: string | undefined, @Res() reply: FastifyReply): Promise<void> {
    if (this.hidden) throw new NotFoundException('Cannot GET /metrics');
    if (this.token) {
      const presented = bearerToken(authorization);
      // Digests of equal length, so the comparison takes the same time whatever was presented.
      if (!presented || !timingSafeEqual(digest(presented), this.token)) {
        void reply.header('WWW-Authenticate', 'Bearer realm="metrics"');
        throw new UnauthorizedException('A valid metrics token is required');
      }
    }
    void reply.header('Content-Type', this.metrics.registry.contentType).send(await this.metrics.registry.metrics());
  }
}
