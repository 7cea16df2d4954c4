import type { DataSource, EntityManager } from 'typeorm';

type Runner = Pick<DataSource | EntityManager, 'query'>;

/** TypeORM's Postgres driver answers UPDATE and DELETE with `[rows, rowCount]`; this returns the rows. */
export async function modifyReturning<T>(runner: Runner, sql: string, parameters: unknown[]): Promise<T[]> {
  const [rows] = (await runner.query(sql, parameters)) as [T[], number];
  return rows;
}
