import { Migration } from '@mikro-orm/migrations';

/** Tables for tasks, sessions, bindings, inbound messages and transcripts. */
export class Migration20261121083713 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "binding" ("id" varchar(40) not null, "channel" varchar(40) not null, "chat_id" varchar(200) not null, "session_id" varchar(40) not null, "created_at" timestamptz not null, constraint "binding_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "binding" add constraint "binding_channel_chat_id_unique" unique ("channel", "chat_id");`);

    this.addSql(
      `create table "inbound_message" ("id" varchar(40) not null, "channel" varchar(40) not null, "account_id" varchar(200) not null, "platform_message_id" varchar(200) not null, "chat_id" varchar(200) null, "sender_id" varchar(200) not null, "sender_name" varchar(200) null, "text" text not null, "task_id" varchar(40) not null, "received_at" timestamptz not null, "created_at" timestamptz not null, constraint "inbound_message_pkey" primary key ("id"));`,
    );
    this.addSql(
      `alter table "inbound_message" add constraint "inbound_message_channel_account_id_platform_message_id_unique" unique ("channel", "account_id", "platform_message_id");`,
    );

    this.addSql(
      `create table "session" ("id" varchar(40) not null, "status" varchar(20) not null default 'idle', "agent" varchar(100) not null, "tmux_session" varchar(100) not null, "runner_id" varchar(200) null, "last_seq" int not null default 0, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "session_pkey" primary key ("id"));`,
    );

    this.addSql(
      `create table "task" ("id" varchar(40) not null, "session_id" varchar(40) not null, "status" varchar(20) not null default 'new', "agent" varchar(100) not null, "prompt" text not null, "channel" varchar(40) not null, "chat_id" varchar(200) null, "run_id" varchar(40) null, "error" text null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "started_at" timestamptz null, "finished_at" timestamptz null, constraint "task_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "task_session_id_status_index" on "task" ("session_id", "status");`);

    this.addSql(
      `create table "transcript_entry" ("id" bigserial primary key, "session_id" varchar(40) not null, "seq" int not null, "task_id" varchar(40) not null, "type" varchar(20) not null, "event" jsonb not null, "created_at" timestamptz not null);`,
    );
    this.addSql(`alter table "transcript_entry" add constraint "transcript_entry_session_id_seq_unique" unique ("session_id", "seq");`);
    // Ids are plain columns in the entities; the database still guards the links. Deferred,
    // so one transaction may insert a session, its task and the message in any order.
    for (const [table, column, target] of [
      ['binding', 'session_id', 'session'],
      ['task', 'session_id', 'session'],
      ['inbound_message', 'task_id', 'task'],
      ['transcript_entry', 'session_id', 'session'],
    ]) {
      this.addSql(
        `alter table "${table}" add constraint "${table}_${column}_foreign" foreign key ("${column}") ` +
          `references "${target}" ("id") on delete cascade deferrable initially deferred;`,
      );
    }
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "binding" cascade;`);

    this.addSql(`drop table if exists "inbound_message" cascade;`);

    this.addSql(`drop table if exists "session" cascade;`);

    this.addSql(`drop table if exists "task" cascade;`);

    this.addSql(`drop table if exists "transcript_entry" cascade;`);
  }
}
