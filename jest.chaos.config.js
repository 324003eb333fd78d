/** @type {import('jest').Config} `npm run test:chaos`: load, soak and shutdown of the built service (see test/chaos/). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/chaos'],
  testMatch: ['**/*.chaos.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  testTimeout: 240000,
};
