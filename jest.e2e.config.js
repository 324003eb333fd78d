/**
 * The real-Nomad tier (npm run test:nomad, scripts/test-nomad.sh): test/e2e against Nomad dev
 * agents that globalSetup starts. One worker: the tests share the agents (and a forced GC is
 * agent-wide).
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/e2e'],
  testMatch: ['**/*.test.ts'],
  moduleNameMapper: { '^@dtle-compat/sim$': '<rootDir>/sim/src/index.ts' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  maxWorkers: 1,
  testTimeout: 60000,
  globalSetup: '<rootDir>/test/e2e/globalSetup.ts',
  globalTeardown: '<rootDir>/test/e2e/globalTeardown.ts',
};
