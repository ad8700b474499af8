import type { RuleSet } from './rule-set.js';

/**
 * The active rule set. A request reads `current()` once and keeps that object for its whole
 * operation, so a reload in the middle never shows it a mix of old and new rules.
 */
export interface RulesProvider {
  current(): RuleSet;
}

export class RulesHolder implements RulesProvider {
  #rules: RuleSet;
  #version = 1;

  constructor(initial: RuleSet) {
    this.#rules = initial;
  }

  current(): RuleSet {
    return this.#rules;
  }

  get version(): number {
    return this.#version;
  }

  swap(next: RuleSet): void {
    this.#rules = next;
    this.#version += 1;
  }
}
