/**
 * Apart from the runner (embedded-postgres.ts) so that main.ts can recognise it without loading the
 * runner, which it imports only when DATABASE_URL is unset.
 */
/** Why the embedded database cannot run here, phrased with the remedy; the entry points print it as one line. */
export class EmbeddedPostgresUnavailable extends Error {
  constructor(reason: string) {
    super(`the embedded PostgreSQL cannot run: ${reason}. Set DATABASE_URL to use a PostgreSQL of your own`);
    this.name = 'EmbeddedPostgresUnavailable';
  }
}
