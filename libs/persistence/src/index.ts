export * from './access.store';
export * from './database';
export * from './embedded-database';
export * from './engine.store';
export * from './entities';
export * from './jobs.store';
export * from './orm.config';
export * from './persistence.module';
