import { describe, expect, it, jest } from '@jest/globals';
import type pg from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source.js';

describe('dataSourceOptions', () => {
  // If TypeORM stopped honouring its `driver` option, it would open a second pool of its own
  // (here: towards a port nothing listens on) and this fails instead of splitting the app's connections.
  it('makes TypeORM connect through the pool it is given', async () => {
    const refused = new Error('the shared pool was asked for a connection');
    const pool = {
      on: jest.fn(),
      connect: jest.fn((callback: (error: Error) => void) => callback(refused)),
    } as unknown as pg.Pool;
    const dataSource = new DataSource(dataSourceOptions('postgres://nobody@127.0.0.1:9/none', pool));
    await expect(dataSource.initialize()).rejects.toBe(refused);
    expect(pool.connect).toHaveBeenCalledTimes(1);
  });
});
