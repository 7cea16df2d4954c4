import { Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { AuthModule } from '../auth/auth.module.js';
import { AssetsController } from './assets.controller.js';
import { registerFormParser } from './form-body.js';
import { PagesController } from './pages.controller.js';

/** The pages people open from mail (verify the address, reset the password) and the account page with passkeys. */
@Module({
  imports: [AuthModule],
  controllers: [PagesController, AssetsController],
})
export class PagesModule implements OnModuleInit {
  constructor(private readonly adapter: HttpAdapterHost) {}

  onModuleInit(): void {
    registerFormParser(this.adapter.httpAdapter.getInstance<FastifyInstance>());
  }
}
