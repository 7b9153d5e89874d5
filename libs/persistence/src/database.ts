import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/postgresql';
import { ormConfig } from './orm.config';

/** Owns the ORM: connects, applies pending migrations, closes last on shutdown. */
export class Database implements OnApplicationShutdown {
  private readonly logger = new Logger(Database.name);

  private constructor(readonly orm: MikroORM) {}

  static async connect(url: string): Promise<Database> {
    const orm = await MikroORM.init(ormConfig(url));
    const applied = await orm.migrator.up();
    if (applied.length > 0) new Logger(Database.name).log(`applied migrations: ${applied.map((m) => m.name).join(', ')}`);
    return new Database(orm);
  }

  async ping(): Promise<void> {
    await this.orm.em.getConnection().execute('select 1');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.orm.close();
    this.logger.log('database connection closed');
  }
}
