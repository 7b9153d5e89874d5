export * from './access';
export * from './ids';
export * from './jobs';
export * from './messages';
export * from './metrics';
export * from './subjects';
export * from './text';
