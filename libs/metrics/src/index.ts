export * from './metrics';
export * from './metrics.constants';
export * from './metrics.module';
