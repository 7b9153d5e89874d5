import { MikroORM } from '@mikro-orm/postgresql';
import { ormConfig } from './orm.config';

/**
 * Developer tool: diff the entities against a database that has every migration applied
 * and write the next migration file. Usage: DATABASE_URL=postgres://… npm run db:migration
 */
async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('set DATABASE_URL to a scratch database');
  const orm = await MikroORM.init(ormConfig(url));
  try {
    await orm.migrator.up();
    const result = await orm.migrator.createMigration(undefined, false, false);
    console.log(result.fileName ? `wrote ${result.fileName}; add it to migrations/index.ts` : 'entities match the migrations');
  } finally {
    await orm.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
