import { Migration } from '@mikro-orm/migrations';

/** The digest of what a client sent under its own message id (Idempotency-Key), to refuse a reuse with other content. */
export class Migration20261207140000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "inbound_message" add column "content_digest" varchar(64) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "inbound_message" drop column "content_digest";`);
  }
}
