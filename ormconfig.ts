import { DataSource } from 'typeorm';
import { dataSourceOptions } from './src/database/data-source.js';
import { embeddedDatabaseUrl } from './src/database/embedded-postgres.js';

/** For the TypeORM CLI (`npm run migration:*`): the same options the app uses. */
export default new DataSource(dataSourceOptions(process.env.DATABASE_URL || embeddedDatabaseUrl(Number(process.env.EMBEDDED_PG_PORT || 54329))));
