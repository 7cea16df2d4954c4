import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source.js';
import { postgresAnswers, startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/database/embedded-postgres.js';

const LOCAL_POSTGRES = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface ScratchDatabase {
  url: string;
  adminUrl: string;
  name: string;
  source: 'DATABASE_URL' | 'local postgres' | 'embedded postgres';
  embedded?: EmbeddedPostgres;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function admin<T>(adminUrl: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/**
 * A fresh, migrated `<prefix>_<random>` database on the first Postgres found: DATABASE_URL,
 * then a password-less postgres@127.0.0.1:5432, then an embedded server on a free port.
 */
export async function createScratchDatabase(prefix: 'e2e' | 'bench'): Promise<ScratchDatabase> {
  let adminUrl: string;
  let source: ScratchDatabase['source'];
  let embedded: EmbeddedPostgres | undefined;
  if (process.env.DATABASE_URL) {
    adminUrl = process.env.DATABASE_URL;
    source = 'DATABASE_URL';
  } else if (await postgresAnswers(LOCAL_POSTGRES)) {
    adminUrl = LOCAL_POSTGRES;
    source = 'local postgres';
  } else {
    embedded = await startEmbeddedPostgres({ port: await freePort() });
    adminUrl = embedded.adminUrl;
    source = 'embedded postgres';
  }

  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await admin(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = withDatabase(adminUrl, name);
  const dataSource = new DataSource(dataSourceOptions(url));
  await dataSource.initialize();
  try {
    await dataSource.runMigrations();
  } finally {
    await dataSource.destroy();
  }
  return { url, adminUrl, name, source, embedded };
}

export async function dropScratchDatabase(db: ScratchDatabase): Promise<void> {
  if (!/^(e2e|bench)_[0-9a-f]+$/.test(db.name)) throw new Error(`refusing to drop ${db.name}: not a scratch database`);
  await admin(db.adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${db.name} WITH (FORCE)`));
  await db.embedded?.stop();
}
