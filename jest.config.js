// Two projects: unit specs live beside the code, end-to-end specs in test/.
// NestJS 12 ships as ES modules, so the suite runs as ESM (node --experimental-vm-modules, set by
// the npm scripts). SWC transpiles with decorator metadata, which Nest's DI needs; `npm run
// typecheck` does the type checking.
const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  // Sources import './x.js' (NodeNext resolution); map those back to the .ts files under test.
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    '^content-disposition$': '<rootDir>/test/support/content-disposition.cjs',
  },
  moduleFileExtensions: ['ts', 'js', 'cjs', 'json'],
};

/** @type {import('jest').Config} */
export default {
  testTimeout: 30000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      // @bull-board/nestjs is CommonJS and require()s ESM-only NestJS: see test/support/esm-bridge/resolver.cjs.
      resolver: '<rootDir>/test/support/esm-bridge/resolver.cjs',
      setupFiles: ['<rootDir>/test/support/esm-bridge/setup.ts'],
    },
  ],
};
