export * from './chat-renderer';
export * from './clock';
export * from './pacer';
export * from './run-document';
export * from './split';
export * from './approval-text';
