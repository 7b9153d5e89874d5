export * from './gateway.module';
export { assertHttpExposure } from './auth/http-exposure';
export { bodyReaders } from './http-bodies';
