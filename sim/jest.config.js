/** @type {import('jest').Config} The simulator's tests: the `sim` project of the root jest config (`npm test`, or `npx jest --selectProjects sim`). */
module.exports = {
  displayName: 'sim',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
  },
};
