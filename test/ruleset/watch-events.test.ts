import { describe } from 'vitest';
import { defineWatchCases } from './watch/cases.js';

// The scan is off: each case passes only if the file-system events alone catch it in time.
describe('rules watcher, file-system events alone', () => defineWatchCases({ options: { scanIntervalMs: 0 }, detectedBy: 'events' }));
