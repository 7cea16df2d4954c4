/** What the bench has started or created, released in reverse order: early when a phase ends, or all at once on failure or a signal. */
import { log } from './config.js';

export class Resources {
  private readonly held: { label: string; release: () => Promise<void> }[] = [];

  /** Registers `release`; the returned function releases it now, and only once. */
  hold(label: string, release: () => Promise<void>): () => Promise<void> {
    const entry = { label, release };
    this.held.push(entry);
    return async () => {
      const index = this.held.indexOf(entry);
      if (index === -1) return;
      this.held.splice(index, 1);
      await release().catch((e: unknown) => log(`releasing ${label} failed: ${String(e)}`));
    };
  }

  async releaseAll(): Promise<void> {
    while (this.held.length > 0) {
      const { label, release } = this.held.pop()!;
      await release().catch((e: unknown) => log(`releasing ${label} failed: ${String(e)}`));
    }
  }
}
