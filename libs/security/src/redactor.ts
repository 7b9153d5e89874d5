import type { PatchbayConfig } from '@patchbay/config';
import { configSecrets } from './config-secrets';
import { RedactionRule, TOKEN_SHAPES } from './token-shapes';

interface Alternative {
  label: string;
  /** Index of the alternative's own group in the combined expression. */
  group: number;
}

/**
 * Replaces secrets in text with `[redacted:<label>]`, in one pass of one regular
 * expression: the configured secret values (longest first, labelled with their config key),
 * then the well-known token shapes, then the configured patterns.
 */
export class Redactor {
  private readonly pattern: RegExp | null;
  private readonly alternatives: Alternative[] = [];

  constructor(secrets: ReadonlyMap<string, string>, rules: readonly RedactionRule[]) {
    const literals = [...secrets].sort(([a], [b]) => b.length - a.length).map(([value, label]) => ({ label, source: escapeRegExp(value) }));
    const sources: string[] = [];
    let group = 1;
    for (const { label, source } of [...literals, ...rules]) {
      this.alternatives.push({ label, group });
      sources.push(`(${source})`);
      group += 1 + groupsIn(source);
    }
    this.pattern = sources.length > 0 ? new RegExp(sources.join('|'), 'g') : null;
  }

  /** Patchbay's: the config's secrets, the token shapes, and `redact.patterns`. */
  static fromConfig(config: PatchbayConfig): Redactor {
    const patterns = config.redact.patterns.map((source, i) => ({ label: `redact.patterns[${i}]`, source }));
    return new Redactor(configSecrets(config), [...TOKEN_SHAPES, ...patterns]);
  }

  redact(text: string): string {
    if (!this.pattern || text.length === 0) return text;
    return text.replace(this.pattern, (...args: unknown[]) => {
      const matched = this.alternatives.find(({ group }) => args[group] !== undefined);
      return `[redacted:${matched?.label ?? 'secret'}]`;
    });
  }

  /** A copy of a JSON-like value (an event, a message) with every string in it redacted. */
  redactAll<T>(value: T): T {
    if (typeof value === 'string') return this.redact(value) as T;
    if (Array.isArray(value)) return value.map((item) => this.redactAll(item)) as T;
    if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, this.redactAll(child)])) as T;
    }
    return value;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** How many capturing groups a source has: they shift the numbering of the ones after it. */
function groupsIn(source: string): number {
  return new RegExp(`${source}|`).exec('')!.length - 1;
}
