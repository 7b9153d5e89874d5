import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { ormConfig } from './orm.config';

/** Owns the ORM: connects, applies pending migrations, closes last on shutdown. */
export class Database implements OnApplicationShutdown {
  private readonly logger = new Logger(Database.name);

  private constructor(readonly orm: MikroORM) {}

  static async connect(url: string): Promise<Database> {
    const orm = await MikroORM.init(ormConfig(url));
    const logger = new Logger(Database.name);
    // Said before it starts: a first start (or an upgrade) waits for these.
    const pending = await orm.migrator.getPendingMigrations();
    if (pending.length > 0) logger.log(`applying ${pending.length} database migration(s)…`);
    const applied = await orm.migrator.up();
    if (applied.length > 0) logger.log(`applied migrations: ${applied.map((m) => m.name).join(', ')}`);
    return new Database(orm);
  }

  /** A fresh unit of work: each store call uses its own. */
  em(): EntityManager {
    return this.orm.em.fork();
  }

  async ping(): Promise<void> {
    await this.orm.em.getConnection().execute('select 1');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.orm.close();
    this.logger.log('database connection closed');
  }
}
