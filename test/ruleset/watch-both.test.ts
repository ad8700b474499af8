import { describe } from 'vitest';
import { defineWatchCases } from './watch/cases.js';

// As the server runs it (default options): events catch everything, so the scan never reports a miss.
describe('rules watcher, events and scan together (defaults)', () => defineWatchCases({ options: {}, detectedBy: 'events' }));
