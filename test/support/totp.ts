import { HOTP, Secret } from 'otpauth';

const PERIOD_MS = 30_000;
/** Closer than this to the end of a step, the step before it is no longer used: it could expire in flight. */
const MARGIN_MS = 3_000;

/**
 * An authenticator app in the test: the codes of one enrolled secret, computed with otpauth. The
 * service accepts each time step once and only later steps after it, within one step of now, so
 * `next()` hands out steps in increasing order, waiting for the clock when three were used.
 */
export class Authenticator {
  private lastStep = -Infinity;

  constructor(readonly secret: string) {}

  /** The code of time step `step`. */
  codeAt(step: number): string {
    return HOTP.generate({ secret: Secret.fromBase32(this.secret), counter: step, digits: 6, algorithm: 'SHA1' });
  }

  static stepNow(now = Date.now()): number {
    return Math.floor(now / PERIOD_MS);
  }

  /** A code the service has not accepted yet and will accept now. */
  async next(): Promise<string> {
    for (;;) {
      const now = Date.now();
      const current = Authenticator.stepNow(now);
      const earliest = now % PERIOD_MS > PERIOD_MS - MARGIN_MS ? current : current - 1;
      const step = Math.max(this.lastStep + 1, earliest);
      if (step <= current + 1) {
        this.lastStep = step;
        return this.codeAt(step);
      }
      await new Promise((resolve) => setTimeout(resolve, PERIOD_MS - (now % PERIOD_MS) + 50));
    }
  }

  /**
   * The code `next()` would hand out, without using it up: for requests refused before their code
   * is looked at, which must still carry a code that would have worked.
   */
  peek(): string {
    const now = Date.now();
    const current = Authenticator.stepNow(now);
    const earliest = now % PERIOD_MS > PERIOD_MS - MARGIN_MS ? current : current - 1;
    return this.codeAt(Math.min(Math.max(this.lastStep + 1, earliest), current + 1));
  }

  /** The code the service just accepted (a replay). */
  last(): string {
    return this.codeAt(this.lastStep);
  }

  /** Six digits that are no code of any step the service would accept now. */
  wrong(): string {
    const current = Authenticator.stepNow();
    const valid = new Set([current - 1, current, current + 1, current + 2].map((s) => this.codeAt(s)));
    let guess = Number(this.codeAt(current));
    do guess = (guess + 123_457) % 1_000_000;
    while (valid.has(String(guess).padStart(6, '0')));
    return String(guess).padStart(6, '0');
  }
}
