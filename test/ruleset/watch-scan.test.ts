import { describe } from 'vitest';
import { defineWatchCases } from './watch/cases.js';

// Events are off, as if the watcher were broken: the backstop scan, at its default interval,
// must catch every case in time and log each as `rules.change_detected_by_scan`.
describe('rules watcher, the periodic scan alone', () => defineWatchCases({ options: { fsEvents: false }, detectedBy: 'scan' }));
