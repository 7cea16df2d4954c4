// Preloaded with --import: the server says on stderr when it loads the embedded-Postgres runner,
// so a test can tell that the production path (DATABASE_URL set) never does.
import { registerHooks } from 'node:module';

registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    if (resolved.url.endsWith('/database/embedded-postgres.js')) process.stderr.write('embedded-Postgres runner loaded\n');
    return resolved;
  },
});
