import { statement } from '../database/sql.js';

/**
 * Issue 26: a finished entry keeps no personal data (the number, the address typed in, the todo's
 * title in the text). Only what says which mail it was (`kind`) survives, for an operator.
 */
export const ERASED_DATA = `jsonb_strip_nulls(jsonb_build_object('kind', data->'kind', 'erased', true))`;

/** States in which an entry will never be attempted again. */
export const FINISHED_STATES = `('completed', 'cancelled', 'failed')`;

export const QUEUE_JOBS = {
  erase: statement<never, [queue: string, id: string]>(
    'queue_job_erase',
    `UPDATE pgboss.job SET data = ${ERASED_DATA} WHERE name = $1 AND id = $2::uuid`,
  ),
};
