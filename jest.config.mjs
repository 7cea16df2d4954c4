import { jestConfig } from './test/support/jest-base.mjs';

export default jestConfig({ rootDir: '.', roots: ['<rootDir>/src'], testRegex: '\\.spec\\.ts$' });
