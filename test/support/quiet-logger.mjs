import { Logger } from '@nestjs/common';

// Tests provoke warnings on purpose (Redis down, keys generated, a refused login): Nest's own logger
// prints only errors here, so what a run prints is what went wrong. A test that is about a message
// spies on Logger and sees every call whatever is printed; the e2e apps log through pino at
// LOG_LEVEL=silent (global-setup.mjs).
Logger.overrideLogger(['error']);
