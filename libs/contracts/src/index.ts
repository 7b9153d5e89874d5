export * from './access';
export * from './approvals';
export * from './dead-letters';
export * from './ids';
export * from './jobs';
export * from './messages';
export * from './subjects';
export * from './text';
