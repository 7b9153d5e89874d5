import { Inject, Injectable } from '@nestjs/common';
import { ApiTokenConfig, PATCHBAY_CONFIG, PatchbayConfig } from '@patchbay/config';
import { Role } from '@patchbay/contracts';
import { secretsEqual } from './constant-time';

export interface TokenHolder {
  name: string;
  role: Role;
}

/** The configured API tokens (http.tokens and PATCHBAY_API_TOKEN). */
@Injectable()
export class ApiTokens {
  private readonly tokens: readonly ApiTokenConfig[];

  constructor(@Inject(PATCHBAY_CONFIG) config: Pick<PatchbayConfig, 'http'>) {
    this.tokens = config.http.tokens;
  }

  /** Whether any token is configured: then every caller needs one. */
  get required(): boolean {
    return this.tokens.length > 0;
  }

  /** The holder of `secret`; every token is compared (in constant time), so timing tells nothing. */
  find(secret: string): TokenHolder | null {
    let found: ApiTokenConfig | null = null;
    for (const token of this.tokens) if (secretsEqual(secret, token.token)) found = token;
    return found && { name: found.name, role: found.role };
  }
}
