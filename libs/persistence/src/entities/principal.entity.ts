import { Entity, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import type { Role } from '@patchbay/contracts';

/** A person, with one role, known under one or more channel identities. */
@Entity({ tableName: 'principal' })
export class PrincipalEntity {
  [OptionalProps]?: 'createdAt' | 'fromConfig';

  @PrimaryKey({ type: 'string', length: 40 })
  id!: string;

  @Property({ type: 'string', length: 200 })
  name!: string;

  @Property({ type: 'string', length: 20 })
  role!: Role;

  /** Listed in patchbay.yaml `access:`; the file decides its role on every start. */
  @Property({ type: 'boolean' })
  fromConfig = false;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  createdAt: Date = new Date();
}
