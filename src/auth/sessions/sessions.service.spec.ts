import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import { ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { Db, type Tx } from '../../database/db.js';
import { SecurityEvents } from '../../events/security-events.js';
import { SessionStateCache } from './session-state.cache.js';
import { SessionsService } from './sessions.service.js';

const USER = '11111111-1111-4111-8111-111111111111';

describe('SessionsService: the cache forgets ended sessions', () => {
  let service: SessionsService;
  let invalidate: jest.Mock<(ids: string[]) => void>;

  beforeEach(async () => {
    invalidate = jest.fn();
    const moduleRef = await Test.createTestingModule({
      providers: [
        SessionsService,
        { provide: Db, useValue: { run: async () => [{ id: 'a' }, { id: 'b' }] } },
        { provide: SessionStateCache, useValue: { invalidate } },
        { provide: SecurityEvents, useValue: { record: async () => undefined } },
        { provide: ConfigService, useValue: { get: () => 604800 } },
      ],
    }).compile();
    service = moduleRef.get(SessionsService);
  });

  it('at once when the revocation is its own statement', async () => {
    await service.revokeAll(USER);
    expect(invalidate).toHaveBeenCalledWith(['a', 'b']);
  });

  it('only after the commit when the revocation is part of a transaction', async () => {
    const hooks: (() => void)[] = [];
    const tx: Tx = { afterCommit: (hook) => hooks.push(hook) };
    await service.revokeAll(USER, tx);
    expect(invalidate).not.toHaveBeenCalled();
    for (const hook of hooks) hook();
    expect(invalidate).toHaveBeenCalledWith(['a', 'b']);
  });
});
