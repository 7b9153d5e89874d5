import { Migration } from '@mikro-orm/migrations';

/** Task history (every status change), attempts for retries, and the routing rule used. */
export class Migration20261121102000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "task" add column "attempts" int not null default 0;`);
    this.addSql(`alter table "task" add column "route" varchar(100) null;`);
    this.addSql(`update "task" set "attempts" = 1 where "run_id" is not null;`);
    this.addSql(
      `create table "task_transition" ("id" bigserial primary key, "task_id" varchar(40) not null, "from_status" varchar(20) null, ` +
        `"to_status" varchar(20) not null, "at" timestamptz not null, "reason" text null);`,
    );
    this.addSql(`create index "task_transition_task_id_index" on "task_transition" ("task_id");`);
    this.addSql(
      `alter table "task_transition" add constraint "task_transition_task_id_foreign" foreign key ("task_id") ` +
        `references "task" ("id") on delete cascade deferrable initially deferred;`,
    );
    // What is known of existing tasks: created, and where they are now.
    this.addSql(`insert into "task_transition" ("task_id", "from_status", "to_status", "at", "reason") select "id", null, 'new', "created_at", 'before task history' from "task";`);
    this.addSql(
      `insert into "task_transition" ("task_id", "from_status", "to_status", "at", "reason") select "id", 'new', "status", "updated_at", 'before task history' from "task" where "status" <> 'new';`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "task_transition" cascade;`);
    this.addSql(`alter table "task" drop column "route";`);
    this.addSql(`alter table "task" drop column "attempts";`);
  }
}
