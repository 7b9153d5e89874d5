export * from './agent-host';
export * from './agent-profiles';
export * from './prompt-patterns';
export * from './agent-survey';
export * from './agent-usability';
export * from './parsers';
export * from './agent-checks';
