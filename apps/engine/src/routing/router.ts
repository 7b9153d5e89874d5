import { Inject, Injectable } from '@nestjs/common';
import { agentProfiles } from '@patchbay/agents';
import { ConfigError, PATCHBAY_CONFIG, PatchbayConfig } from '@patchbay/config';
import { InboundMessageV1 } from '@patchbay/contracts';
import type { Route } from '@patchbay/persistence';

type Rule = PatchbayConfig['routing']['rules'][number];

/**
 * Chooses the agent of a new session: the first routing rule that matches the message
 * (channel, chat, keywords, labels), spreading sessions over its equivalent agents round
 * robin or by weight; else the default agent (chosen once at start, see surveyAgents).
 * Knows each rule's fallback agents.
 */
@Injectable()
export class Router {
  private readonly turns = new Map<string, number>();

  constructor(
    @Inject(PATCHBAY_CONFIG) private readonly config: PatchbayConfig,
    private readonly defaultAgent: string,
    private readonly random: () => number = Math.random,
  ) {
    const known = agentProfiles(config);
    const check = (agents: string[], key: string) => {
      for (const agent of agents) if (!known.has(agent)) throw new ConfigError(`${key}: no agent "${agent}" (agents: ${[...known.keys()].join(', ')})`);
    };
    config.routing.rules.forEach((rule, i) => {
      check(rule.agents, `routing.rules[${i}].agents`);
      check(rule.fallback, `routing.rules[${i}].fallback`);
    });
    check(config.routing.fallback, 'routing.fallback');
  }

  route(message: InboundMessageV1): Route {
    const rule = this.config.routing.rules.find((r) => matches(r, message));
    if (!rule) {
      const agent = this.defaultAgent;
      return { agent, name: null, reason: `default agent ${agent}` };
    }
    const agent = this.pick(rule);
    return { agent, name: rule.name, reason: `rule ${rule.name} chose ${agent}` };
  }

  /** Who takes over from `agent` (which hit a limit) on a task routed by `routeName`. */
  fallback(routeName: string | null, agent: string): string | null {
    const rule = this.config.routing.rules.find((r) => r.name === routeName);
    const candidates = [...(rule?.fallback ?? []), ...this.config.routing.fallback];
    return candidates.find((candidate) => candidate !== agent) ?? null;
  }

  private pick(rule: Rule): string {
    if (rule.agents.length === 1) return rule.agents[0];
    if (rule.strategy === 'weighted') {
      const weights = rule.agents.map((agent) => rule.weights?.[agent] ?? 1);
      let point = this.random() * weights.reduce((a, b) => a + b, 0);
      for (let i = 0; i < rule.agents.length; i++) {
        point -= weights[i];
        if (point < 0) return rule.agents[i];
      }
      return rule.agents[rule.agents.length - 1];
    }
    const turn = this.turns.get(rule.name) ?? 0;
    this.turns.set(rule.name, turn + 1);
    return rule.agents[turn % rule.agents.length];
  }
}

function matches(rule: Rule, message: InboundMessageV1): boolean {
  const { channel, chat, keywords, labels } = rule.match;
  if (channel !== undefined && channel !== message.channel) return false;
  if (chat !== undefined && chat !== message.chatId) return false;
  if (keywords && !keywords.some((k) => new RegExp(`\\b${escape(k)}\\b`, 'i').test(message.text))) return false;
  if (labels && !labels.some((l) => message.labels?.includes(l))) return false;
  return true;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
