export * from './config-secrets';
export * from './log-context';
export * from './redacting-logger';
export * from './redactor';
export * from './security.constants';
export * from './security.module';
export * from './token-shapes';
