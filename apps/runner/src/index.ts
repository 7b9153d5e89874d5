export * from './runner.module';
export * from './runner-id';
