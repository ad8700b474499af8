import { describe, expect, it } from 'vitest';
import { bootstrapApiKeys } from '../../src/http/api-keys.js';
import { memoryLog } from '../support/test-app.js';

const hint = 'LEADGATE_API_KEYS (or whatever this entry asks for)';
const events = (lines: string[]) => lines.map((l) => (JSON.parse(l) as { event: string }).event);

describe('the bootstrap API keys of an entry', () => {
  it('are LEADGATE_API_KEYS when set, with nothing logged', () => {
    const log = memoryLog();
    expect(bootstrapApiKeys({ keys: ['k1', 'k2'], demo: true, storedKeys: true, missingKeysHint: hint }, log.logger)).toEqual(['k1', 'k2']);
    expect(log.lines).toEqual([]);
  });

  it("fall back to the demo key 'demo' while the demo is on, with a warning", () => {
    const log = memoryLog();
    expect(bootstrapApiKeys({ keys: [], demo: true, storedKeys: false, missingKeysHint: hint }, log.logger)).toEqual(['demo']);
    expect(events(log.lines)).toEqual(['auth.demo_key']);
  });

  it('are none with the demo off when keys can be created through the admin API', () => {
    const log = memoryLog();
    expect(bootstrapApiKeys({ keys: [], demo: false, storedKeys: true, missingKeysHint: hint }, log.logger)).toEqual([]);
    expect(events(log.lines)).toEqual(['auth.stored_keys_only']);
  });

  it('stop the start with the demo off and no way to get a key', () => {
    const log = memoryLog();
    expect(() => bootstrapApiKeys({ keys: [], demo: false, storedKeys: false, missingKeysHint: hint }, log.logger)).toThrow(`${hint} is required when the demo is off (LEADGATE_DEMO=0)`);
  });
});
