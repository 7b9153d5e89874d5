export * from './config.constants';
export * from './config.loader';
export * from './config.module';
export * from './config.schema';
export * from './install-root';
export * from './clock';
