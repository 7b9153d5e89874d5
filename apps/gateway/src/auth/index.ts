export * from './caller';
export * from './http-exposure';
export * from './route-access.decorator';
