import { Migration } from '@mikro-orm/migrations';

/** Who made a task's status change, where Patchbay knows (the sender, who stopped or retried it). */
export class Migration20261208000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "task_transition" add column "by" varchar(250) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "task_transition" drop column "by";`);
  }
}
