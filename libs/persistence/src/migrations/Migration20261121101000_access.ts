import { Migration } from '@mikro-orm/migrations';

/**
 * Who may do what: principals and their channel identities, pairing requests, the audit
 * log; what became of each inbound message; per-chat delivery mode; per-session model.
 */
export class Migration20261121101000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "principal" ("id" varchar(40) not null, "name" varchar(200) not null, "role" varchar(20) not null, ` +
        `"from_config" boolean not null default false, "created_at" timestamptz not null, constraint "principal_pkey" primary key ("id"));`,
    );
    this.addSql(
      `create table "identity" ("id" varchar(40) not null, "principal_id" varchar(40) not null, "channel" varchar(40) not null, ` +
        `"platform_user_id" varchar(200) not null, "display_name" varchar(200) null, "created_at" timestamptz not null, ` +
        `constraint "identity_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "identity" add constraint "identity_channel_platform_user_id_unique" unique ("channel", "platform_user_id");`);
    this.addSql(
      `alter table "identity" add constraint "identity_principal_id_foreign" foreign key ("principal_id") ` +
        `references "principal" ("id") on delete cascade deferrable initially deferred;`,
    );
    this.addSql(
      `create table "pairing_request" ("code" varchar(8) not null, "channel" varchar(40) not null, "platform_user_id" varchar(200) not null, ` +
        `"display_name" varchar(200) null, "chat_id" varchar(200) null, "status" varchar(20) not null default 'pending', ` +
        `"decided_by" varchar(200) null, "created_at" timestamptz not null, "expires_at" timestamptz not null, ` +
        `constraint "pairing_request_pkey" primary key ("code"));`,
    );
    this.addSql(`create index "pairing_request_channel_status_index" on "pairing_request" ("channel", "status");`);
    this.addSql(
      `create table "audit_entry" ("id" bigserial primary key, "at" timestamptz not null, "actor" varchar(250) not null, ` +
        `"principal_id" varchar(40) null, "action" varchar(100) not null, "target" varchar(200) null, "decision" varchar(10) not null, ` +
        `"detail" text null);`,
    );
    this.addSql(`create index "audit_entry_at_index" on "audit_entry" ("at");`);
    this.addSql(`alter table "inbound_message" add column "outcome" varchar(20) not null default 'task';`);
    this.addSql(`update "inbound_message" set "outcome" = 'input' where "task_id" is null;`);
    this.addSql(`alter table "inbound_message" alter column "outcome" drop default;`);
    this.addSql(`alter table "inbound_message" add column "reply" text null;`);
    this.addSql(`alter table "binding" add column "delivery" varchar(10) not null default 'live';`);
    this.addSql(`alter table "session" add column "model" varchar(200) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "session" drop column "model";`);
    this.addSql(`alter table "binding" drop column "delivery";`);
    this.addSql(`alter table "inbound_message" drop column "reply";`);
    this.addSql(`alter table "inbound_message" drop column "outcome";`);
    this.addSql(`drop table if exists "audit_entry" cascade;`);
    this.addSql(`drop table if exists "pairing_request" cascade;`);
    this.addSql(`drop table if exists "identity" cascade;`);
    this.addSql(`drop table if exists "principal" cascade;`);
  }
}
