export * from './agent-profiles';
export * from './parsers';
