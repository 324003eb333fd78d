/** @type {import('jest').Config} `npm run test:ui`: the operator page in a headless Chromium. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/browser'],
  testMatch: ['**/*.browser.ts'],
  moduleNameMapper: { '^@dtle-compat/sim$': '<rootDir>/sim/src/index.ts' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  testTimeout: 60000,
};
