/** @type {import('jest').Config} `npm test`: the service's suites (test/) and the simulator's (sim/test/). */
module.exports = {
  projects: [
    {
      displayName: 'dtle-compat',
      testEnvironment: 'node',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/e2e/'],
      transform: {
        '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
      },
      moduleNameMapper: { '^@dtle-compat/sim$': '<rootDir>/sim/src/index.ts' },
      globalSetup: '<rootDir>/test/support/globalSetup.ts',
      globalTeardown: '<rootDir>/test/support/globalTeardown.ts',
    },
    '<rootDir>/sim',
  ],
  testTimeout: 20000,
};
