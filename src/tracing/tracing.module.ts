import { type DynamicModule, Module, type OnApplicationShutdown } from '@nestjs/common';
import { HandlerSpans } from './handler-spans.js';
import { PoolContext } from './pool-context.js';
import { stopTracing, tracingEnabled } from './tracing-state.js';

/** On shutdown, the spans still buffered are exported before the process exits. */
class TracingShutdown implements OnApplicationShutdown {
  async onApplicationShutdown(): Promise<void> {
    await stopTracing();
  }
}

/** With tracing off (the SDK not started) this module adds nothing to a request. */
@Module({})
export class TracingModule {
  static forRoot(): DynamicModule {
    if (!tracingEnabled()) return { module: TracingModule };
    return {
      module: TracingModule,
      providers: [TracingShutdown, HandlerSpans, PoolContext],
    };
  }
}
