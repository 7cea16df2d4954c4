import { HttpException, HttpStatus, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { clientAddress } from '../../common/client-address.js';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';

/**
 * Per-client limit on login, signup and refresh (AUTH_RATE_LIMIT per AUTH_RATE_TTL); the 429
 * carries Retry-After. Its dependencies and exception are this app's own @nestjs/core and
 * @nestjs/common: @nestjs/throttler is CommonJS, and where it gets a second copy of them
 * (Jest on Node 20) its Reflector could not be injected nor its exception recognised.
 */
@Injectable()
export class AuthThrottlerGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
  ) {
    super(options, storage, reflector);
  }

  /** Per client address, as sessions record it: a forwarded value that is not an IP address counts as the connection's. */
  protected override async getTracker(request: Record<string, unknown>): Promise<string> {
    return clientAddress(request as unknown as FastifyRequest) ?? 'unknown';
  }

  protected override async throwThrottlingException(): Promise<void> {
    throw new HttpException('Too many requests; retry after the time in Retry-After', HttpStatus.TOO_MANY_REQUESTS);
  }
}
