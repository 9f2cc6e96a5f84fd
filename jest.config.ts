import type { Config } from 'jest';

// Tests run against the TypeScript sources (not dist) as native ESM, because got-scraping,
// proxy-chain and puppeteer-core are ESM-only. Workspace packages are mapped to their src.
const config: Config = {
    testEnvironment: 'node',
    roots: ['<rootDir>/packages', '<rootDir>/examples', '<rootDir>/scripts', '<rootDir>/test'],
    testMatch: ['**/test/**/*.test.ts'],
    extensionsToTreatAsEsm: ['.ts'],
    transform: {
        '^.+\\.ts$': [
            '@swc/jest',
            {
                jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
                module: { type: 'es6' },
            },
        ],
    },
    moduleNameMapper: {
        '^@sessionkit/([a-z-]+)/spi$': '<rootDir>/packages/$1/src/spi.ts',
        '^@sessionkit/([a-z-]+)$': '<rootDir>/packages/$1/src/index.ts',
        '^@sessionkit/([a-z-]+)/([a-z-]+)$': '<rootDir>/packages/$1/src/$2.ts',
        '^(\\.{1,2}/.*)\\.js$': '$1',
    },
    setupFiles: ['<rootDir>/test/jest-setup.ts'],
    testTimeout: 30_000,
    maxWorkers: 2,
    modulePathIgnorePatterns: ['<rootDir>/packages/.*/dist/'],
};

export default config;
