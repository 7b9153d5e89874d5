import { Logger } from '@nestjs/common';
import { Migrator } from '@mikro-orm/migrations';
import { defineConfig, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

const logger = new Logger('MikroORM');

/** MikroORM settings shared by the app, the migration script and tests. */
export function ormConfig(clientUrl: string, options: { debug?: boolean } = {}) {
  return defineConfig({
    driver: PostgreSqlDriver,
    clientUrl,
    entities: ENTITIES,
    extensions: [Migrator],
    discovery: { disableDynamicFileAccess: true },
    debug: options.debug ?? false,
    // MikroORM's own lines (migrations applied, queries when debugging) join the Nest log.
    logger: (message) => logger.verbose(message),
    allowGlobalContext: false,
    pool: { min: 0, max: 10 },
    migrations: {
      tableName: 'mikro_orm_migrations',
      migrationsList: MIGRATIONS,
      transactional: true,
      allOrNothing: true,
      emit: 'ts',
      path: 'libs/persistence/src/migrations',
      snapshot: false,
    },
  });
}
