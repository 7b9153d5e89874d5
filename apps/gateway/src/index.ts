export * from './gateway.module';
export { bodyReaders } from './http-bodies';
