/** Jest runs the TypeScript sources as ES modules (Nest 12 is ESM-only). */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/sample'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^nestjs-genserver$': '<rootDir>/lib/index.ts',
    '^nestjs-genserver/terminus$': '<rootDir>/lib/terminus/index.ts',
    '^nestjs-genserver/testing$': '<rootDir>/lib/testing/index.ts',
    '^nestjs-genserver/process$': '<rootDir>/lib/process/index.ts',
    '^nestjs-genserver/dashboard$': '<rootDir>/lib/dashboard/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json', diagnostics: { ignoreCodes: [151002] } }],
  },
  testTimeout: 20000,
};
