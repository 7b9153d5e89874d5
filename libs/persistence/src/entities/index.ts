import * as all from './all';

export * from './all';
/** Every entity class, for MikroORM's discovery (add new ones to all.ts). */
export const ENTITIES = Object.values(all);
