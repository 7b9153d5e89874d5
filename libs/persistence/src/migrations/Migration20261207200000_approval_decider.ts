import { Migration } from '@mikro-orm/migrations';

/** The name of the person who answered an approval, for chats to say who decided. */
export class Migration20261207200000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "approval" add column "decider_name" varchar(200) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "approval" drop column "decider_name";`);
  }
}
