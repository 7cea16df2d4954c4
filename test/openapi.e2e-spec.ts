import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { readFile } from 'node:fs/promises';
import { isDeepStrictEqual } from 'node:util';
import request from 'supertest';
import { createTestApp } from './support/app.js';

/** Where two JSON values differ, as JSON Pointers (RFC 6901), e.g. `/paths/~1todos/post`. */
function differences(expected: unknown, actual: unknown, pointer = ''): string[] {
  if (isDeepStrictEqual(expected, actual)) return [];
  const bothObjects = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
  if (bothObjects(expected) && bothObjects(actual) && Array.isArray(expected) === Array.isArray(actual)) {
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
    return [...keys].flatMap((key) =>
      differences(expected[key], actual[key], `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`),
    );
  }
  return [pointer || '/'];
}

type Security = 'public' | 'access token';

/** Every documented operation: its responses and whether it needs the bearer access token. */
const ROUTES: [method: string, path: string, statuses: string[], security: Security][] = [
  ['post', '/auth/signup', ['201', '400', '409', '429', '503'], 'public'],
  ['post', '/auth/login', ['200', '400', '401', '429', '503'], 'public'],
  ['post', '/auth/refresh', ['200', '401', '429'], 'public'],
  ['post', '/auth/logout', ['204', '401'], 'access token'],
  ['post', '/auth/logout-all', ['204', '401'], 'access token'],
  ['get', '/auth/sessions', ['200', '401'], 'access token'],
  ['delete', '/auth/sessions/{id}', ['204', '400', '401', '404'], 'access token'],
  ['post', '/auth/verify-email/request', ['202', '401', '409', '429'], 'access token'],
  ['post', '/auth/verify-email', ['200', '400'], 'public'],
  ['post', '/auth/password/forgot', ['202', '400', '429'], 'public'],
  ['post', '/auth/password/reset', ['204', '400'], 'public'],
  ['post', '/auth/passkeys/register/options', ['200', '401'], 'access token'],
  ['post', '/auth/passkeys/register', ['201', '400', '401'], 'access token'],
  ['get', '/auth/passkeys', ['200', '401'], 'access token'],
  ['delete', '/auth/passkeys/{id}', ['204', '400', '401', '404'], 'access token'],
  ['post', '/auth/passkeys/login/options', ['200', '400', '429'], 'public'],
  ['post', '/auth/passkeys/login', ['200', '400', '401', '429'], 'public'],
  ['post', '/auth/mfa/totp/setup', ['200', '400', '401', '403', '409'], 'access token'],
  ['post', '/auth/mfa/totp/enable', ['200', '400', '401', '409', '429'], 'access token'],
  ['post', '/auth/mfa/disable', ['204', '400', '401', '403', '409', '429'], 'access token'],
  ['post', '/auth/mfa/recovery-codes', ['200', '400', '401', '403', '409', '429'], 'access token'],
  ['post', '/auth/login/mfa', ['200', '400', '401', '429'], 'public'],
  ['get', '/.well-known/jwks.json', ['200'], 'public'],
  ['get', '/.well-known/paserk.json', ['200'], 'public'],
  ['get', '/users/me', ['200', '401'], 'access token'],
  ['patch', '/users/me', ['200', '400', '401', '403'], 'access token'],
  ['post', '/users/me/phone/code', ['202', '401', '403', '409', '429'], 'access token'],
  ['post', '/users/me/phone/verify', ['200', '400', '401'], 'access token'],
  ['post', '/users/me/password', ['200', '400', '401', '403', '409', '429', '503'], 'access token'],
  ['delete', '/users/me', ['204', '400', '401', '403', '429', '503'], 'access token'],
  ['get', '/users/me/security-events', ['200', '400', '401'], 'access token'],
  ['post', '/todos', ['201', '400', '401', '429'], 'access token'],
  ['get', '/todos', ['200', '400', '401'], 'access token'],
  ['get', '/todos/{id}', ['200', '400', '401', '404'], 'access token'],
  ['patch', '/todos/{id}', ['200', '400', '401', '404'], 'access token'],
  ['delete', '/todos/{id}', ['204', '400', '401', '404'], 'access token'],
  ['get', '/health', ['200', '503'], 'public'],
  ['get', '/health/live', ['200'], 'public'],
  ['get', '/health/ready', ['200', '503'], 'public'],
];

interface Operation {
  responses: Record<string, { content?: Record<string, { example?: unknown }> }>;
  security?: unknown;
  requestBody?: unknown;
  parameters?: { name: string }[];
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, { required?: string[]; properties: Record<string, unknown> }>;
    securitySchemes: Record<string, unknown>;
  };
}

describe('OpenAPI document', () => {
  let app: NestFastifyApplication;
  let live: Document;
  beforeAll(async () => {
    app = await createTestApp();
    live = (await request(app.getHttpServer()).get('/docs-json').expect(200)).body;
  });
  afterAll(async () => {
    await app.close();
  });

  it('is served at /docs-json as OpenAPI 3 with a bearer scheme, beside the Swagger UI at /docs', async () => {
    await request(app.getHttpServer()).get('/docs').expect(200).expect('content-type', /html/);
    expect(live.openapi).toMatch(/^3\./);
    expect(Object.values(live.components.securitySchemes)).toContainEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
  });

  it.each(ROUTES)('documents %s %s with exactly its responses %j, %s', (method, path, statuses, security) => {
    const operation = live.paths[path]?.[method];
    expect(operation).toBeDefined();
    expect(Object.keys(operation.responses).sort()).toEqual([...statuses].sort());
    if (security === 'public') expect(operation.security).toBeUndefined();
    else expect(operation.security).toEqual([{ 'access-token': [] }]);
  });

  it('documents no operation beyond that table', () => {
    const documented = Object.entries(live.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method} ${path}`));
    expect(documented.sort()).toEqual(ROUTES.map(([method, path]) => `${method} ${path}`).sort());
  });

  it('describes the signup and profile bodies', () => {
    const { SignupDto, UpdateProfileDto } = live.components.schemas;
    expect(SignupDto.required).toEqual(expect.arrayContaining(['email', 'password']));
    expect(SignupDto.properties.name).toMatchObject({ type: 'string', maxLength: 100, nullable: true });
    expect(UpdateProfileDto.properties.name).toMatchObject({ type: 'string', nullable: true });
  });

  it("shows the login answer's two shapes, with an example of each", () => {
    const ok = live.paths['/auth/login'].post.responses['200'] as {
      content: Record<string, { schema: { oneOf?: { $ref: string }[] }; examples?: Record<string, { value: Record<string, unknown> }> }>;
    };
    const json = ok.content['application/json'];
    expect(json.schema.oneOf?.map((s) => s.$ref)).toEqual(['#/components/schemas/TokenPairDto', '#/components/schemas/MfaChallengeDto']);
    expect(Object.values(json.examples ?? {}).map((e) => Object.keys(e.value).sort())).toEqual([
      ['accessToken', 'expiresIn', 'refreshExpiresIn', 'refreshToken', 'tokenType'],
      ['mfaRequired', 'mfaToken', 'mfaTokenExpiresIn'],
    ]);
    const { MfaChallengeDto, TotpSetupDto, RecoveryCodesDto, LoginMfaDto } = live.components.schemas;
    expect(Object.keys(MfaChallengeDto.properties).sort()).toEqual(['mfaRequired', 'mfaToken', 'mfaTokenExpiresIn']);
    expect(Object.keys(TotpSetupDto.properties).sort()).toEqual(['otpauthUri', 'qrSvg', 'secret']);
    expect(RecoveryCodesDto.properties.recoveryCodes).toMatchObject({ type: 'array', example: expect.any(Array) });
    expect(Object.keys(LoginMfaDto.properties).sort()).toEqual(['code', 'mfaToken', 'recoveryCode']);
  });

  it('describes the todo bodies, the list query and the todo shape, with examples', () => {
    expect(live.paths['/todos'].post.requestBody).toBeDefined();
    expect(live.paths['/todos/{id}'].patch.requestBody).toBeDefined();
    expect(live.paths['/todos'].get.parameters?.map((p) => p.name).sort()).toEqual(['completed', 'cursor', 'limit', 'page']);
    expect(live.paths['/todos'].post.responses['201'].content?.['application/json'].example).toBeDefined();
    expect(Object.keys(live.components.schemas.TodoDto.properties).sort()).toEqual([
      'completed',
      'createdAt',
      'description',
      'dueAt',
      'id',
      'title',
      'updatedAt',
    ]);
  });

  it('is the one checked in as docs/openapi.json', async () => {
    const checkedIn: unknown = JSON.parse(await readFile(new URL('../docs/openapi.json', import.meta.url), 'utf8'));
    const differing = differences(checkedIn, live);
    if (differing.length > 0) {
      throw new Error(
        `docs/openapi.json is not the document the service serves at /docs-json; run npm run docs:openapi and commit it.\n` +
          `It differs at ${differing.length} place(s): ${differing.slice(0, 20).join(', ')}`,
      );
    }
  });
});
