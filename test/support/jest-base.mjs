import { SourceTextModule } from 'node:vm';

// Jest serves `require()` of an ES module natively only where node:vm can evaluate a module graph
// synchronously (SourceTextModule#hasAsyncGraph, Node 24.9+). On Node 22, CommonJS dependencies that
// require() ESM-only packages (@nestjs/throttler → @nestjs/common, @fastify/static → content-disposition)
// need that file converted to CommonJS, which esm-to-cjs.cjs does for exactly those files.
const jestRequiresEsm = typeof SourceTextModule?.prototype.hasAsyncGraph === 'function';

/** The Jest options the unit and e2e projects share (ESM TypeScript through ts-jest). */
export function jestConfig(options) {
  return {
    testEnvironment: 'node',
    extensionsToTreatAsEsm: ['.ts'],
    transform: {
      '^.+\\.ts$': ['ts-jest', { useESM: true }],
      ...(jestRequiresEsm ? {} : { '^.+\\.js$': '<rootDir>/test/support/esm-to-cjs.cjs' }),
    },
    ...(jestRequiresEsm ? {} : { transformIgnorePatterns: [] }),
    moduleNameMapper: {
      '^(\\.{1,2}/.*)\\.js$': '$1',
      // Its ES build imports its metadata JSON without an import attribute, which Jest warns about on
      // every import; its CommonJS build is the same code and metadata.
      '^libphonenumber-js/max$': '<rootDir>/node_modules/libphonenumber-js/max/index.cjs',
    },
    // A CommonJS package that require()s @nestjs/common while the test's ESM graph is still linking
    // it is a require(esm) cycle (ERR_REQUIRE_CYCLE_MODULE, as in Node); loading Nest first avoids it.
    setupFiles: ['<rootDir>/test/support/preload-nest.mjs', '<rootDir>/test/support/quiet-logger.mjs'],
    ...options,
  };
}
