import { jestConfig } from './support/jest-base.mjs';

export default jestConfig({
  rootDir: '..',
  roots: ['<rootDir>/test'],
  testRegex: '\\.e2e-spec\\.ts$',
  globalSetup: '<rootDir>/test/global-setup.mjs',
  globalTeardown: '<rootDir>/test/global-teardown.mjs',
  testTimeout: 30000,
  reporters: ['default', '<rootDir>/test/support/skip-reasons.reporter.mjs'],
});
