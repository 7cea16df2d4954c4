import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

export const BEARER = 'access-token';
/** The Swagger UI's path (its assets are under it, the document at `/docs-json`). */
export const DOCS_PATH = 'docs';

/** The OpenAPI document served at /docs-json; scripts/openapi.ts writes the same one to docs/openapi.json. */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Todo API')
    .setDescription(
      'Authentication (RS256 access and refresh tokens, revocable sessions, JWKS) and per-user todos. ' +
        'Sign up, log in, then press Authorize and paste the accessToken.',
    )
    .setVersion('1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, BEARER)
    .build();
  return SwaggerModule.createDocument(app, config);
}

export function setupSwagger(app: INestApplication): void {
  SwaggerModule.setup(DOCS_PATH, app, createOpenApiDocument(app), { jsonDocumentUrl: `${DOCS_PATH}-json` });
}
