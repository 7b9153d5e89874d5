export * from './config-secrets';
export * from './redactor';
export * from './security.constants';
export * from './token-shapes';
