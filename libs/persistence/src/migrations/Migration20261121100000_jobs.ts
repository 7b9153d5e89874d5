import { Migration } from '@mikro-orm/migrations';

/** Scheduled jobs (cron in a time zone, fixed intervals, one-shot times) and their run log. */
export class Migration20261121100000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "job" ("id" varchar(40) not null, "name" varchar(100) not null, "kind" varchar(10) not null, ` +
        `"cron" varchar(200) null, "time_zone" varchar(100) null, "every_seconds" int null, "at" timestamptz null, ` +
        `"prompt" text not null, "target_session_id" varchar(40) null, "target_channel" varchar(40) null, ` +
        `"target_chat_id" varchar(200) null, "agent" varchar(100) null, "enabled" boolean not null default true, ` +
        `"next_run_at" timestamptz null, "last_run_at" timestamptz null, "created_at" timestamptz not null, ` +
        `"updated_at" timestamptz not null, constraint "job_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "job" add constraint "job_name_unique" unique ("name");`);
    this.addSql(`create index "job_enabled_next_run_at_index" on "job" ("enabled", "next_run_at");`);

    this.addSql(
      `create table "job_run" ("id" varchar(40) not null, "job_id" varchar(40) not null, "scheduled_for" timestamptz not null, ` +
        `"fired_at" timestamptz not null, "trigger" varchar(20) not null, "outcome" varchar(20) not null, ` +
        `"duplicate" boolean not null default false, "task_id" varchar(40) null, "session_id" varchar(40) null, ` +
        `"error" text null, constraint "job_run_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "job_run_job_id_fired_at_index" on "job_run" ("job_id", "fired_at");`);
    // Deferred like the initial links. A job's runs go with it; a run outlives its task and
    // session only as a record (the ids are cleared).
    for (const [column, target, onDelete] of [
      ['job_id', 'job', 'cascade'],
      ['task_id', 'task', 'set null'],
      ['session_id', 'session', 'set null'],
    ]) {
      this.addSql(
        `alter table "job_run" add constraint "job_run_${column}_foreign" foreign key ("${column}") ` +
          `references "${target}" ("id") on delete ${onDelete} deferrable initially deferred;`,
      );
    }
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "job_run" cascade;`);
    this.addSql(`drop table if exists "job" cascade;`);
  }
}
