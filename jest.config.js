/**
 * Three kinds of tests, told apart by name:
 *   *.spec.ts      unit specs beside the code, no services
 *   *.int-spec.ts  beside the code (or under test/ for fakes), against real NATS, PostgreSQL, tmux, CLIs
 *   *.e2e-spec.ts  under test/, real Patchbay processes end to end
 */
const moduleNameMapper = {
  // The conformance kit and strict fakes: for specs, kept out of the SDK's main entry.
  '^@patchbay/plugin-sdk/testing$': '<rootDir>/libs/plugin-sdk/src/testing',
  '^@patchbay/(contracts|bus|config|persistence|agents|tmux|git|security|metrics|plugin-sdk)$': '<rootDir>/libs/$1/src',
  '^@patchbay/plugin-(tmux|telegram|discord|github)$': '<rootDir>/plugins/$1/src',
  '^@patchbay/(gateway|engine|runner)$': '<rootDir>/apps/$1/src',
};
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] };
const common = { rootDir: __dirname, testEnvironment: 'node', moduleNameMapper, transform, setupFiles: ['reflect-metadata'] };

module.exports = {
  maxWorkers: 2,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,plugins}/**/*.spec.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/{apps,libs,plugins,test}/**/*.int-spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
  ],
};
