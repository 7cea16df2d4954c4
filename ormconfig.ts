import { DataSource } from 'typeorm';
import { loadEnvironment } from './src/config/environment.js';
import { dataSourceOptions } from './src/database/data-source.js';
import { embeddedDatabaseUrl } from './src/database/embedded-postgres.js';

const env = loadEnvironment();

/** For the TypeORM CLI (`npm run migration:*`): the same options the app uses. */
export default new DataSource(dataSourceOptions(env.DATABASE_URL ?? embeddedDatabaseUrl(env.EMBEDDED_PG_PORT)));
