export * from './gateway.module';
export { assertHttpExposure } from './auth/http-exposure';
