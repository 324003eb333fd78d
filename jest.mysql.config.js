/**
 * `npm run test:mysql` (scripts/mariadb.sh test): the MySQL pre-flight checks against a real
 * MariaDB that the script starts on loopback and stops. One worker: some tests change the
 * server's global settings (binlog_format) for a moment.
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/mysql'],
  testMatch: ['**/*.mysql.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  moduleNameMapper: { '^@dtle-compat/sim$': '<rootDir>/sim/src/index.ts' },
  maxWorkers: 1,
  testTimeout: 30000,
};
