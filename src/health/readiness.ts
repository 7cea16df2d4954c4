import { Injectable } from '@nestjs/common';

/** Whether this instance should receive new traffic; turned off first thing on SIGTERM (main.ts). */
@Injectable()
export class Readiness {
  private draining = false;

  get shuttingDown(): boolean {
    return this.draining;
  }

  beginShutdown(): void {
    this.draining = true;
  }
}
