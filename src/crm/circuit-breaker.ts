/**
 * One breaker per connect: closed → open after `failureThreshold` consecutive unhealthy calls →
 * after `openMs` half-open, where exactly one probe call goes through: healthy closes it,
 * unhealthy re-opens it for another `openMs`.
 */

export type CircuitState = 'closed' | 'open' | 'half-open';
export type Admission = 'pass' | 'probe' | 'reject';
/** neutral: the call says nothing about the CRM's health (e.g. refused before any I/O) */
export type CallHealth = 'healthy' | 'unhealthy' | 'neutral';

/** A change of state, as it happens; `failures` is the run of unhealthy calls that opened a closed circuit. */
export type CircuitChange = { from: 'closed'; to: 'open'; failures: number } | { from: 'half-open'; to: 'open' | 'closed' } | { from: 'open'; to: 'half-open' };

export interface CircuitSettings {
  failureThreshold: number;
  openMs: number;
}

export interface CircuitBreaker {
  admit(now: number): Admission;
  record(admission: Exclude<Admission, 'reject'>, health: CallHealth, now: number, settings: CircuitSettings): void;
  state(now: number): CircuitState;
}

type Inner = { kind: 'closed'; failures: number } | { kind: 'open'; until: number } | { kind: 'half-open'; probing: boolean };

/** `onChange` hears every change of state, synchronously, in the call that caused it (for logs). */
export function createCircuitBreaker(onChange: (change: CircuitChange) => void = () => {}): CircuitBreaker {
  let inner: Inner = { kind: 'closed', failures: 0 };
  return {
    admit(now) {
      if (inner.kind === 'closed') return 'pass';
      if (inner.kind === 'open') {
        if (now < inner.until) return 'reject';
        inner = { kind: 'half-open', probing: true };
        onChange({ from: 'open', to: 'half-open' });
        return 'probe';
      }
      if (inner.probing) return 'reject';
      inner = { kind: 'half-open', probing: true };
      return 'probe';
    },
    record(admission, health, now, settings) {
      const open = (): void => {
        inner = { kind: 'open', until: now + settings.openMs };
      };
      if (admission === 'probe') {
        if (health === 'healthy') {
          inner = { kind: 'closed', failures: 0 };
          onChange({ from: 'half-open', to: 'closed' });
        } else if (health === 'unhealthy') {
          open();
          onChange({ from: 'half-open', to: 'open' });
        } else {
          inner = { kind: 'half-open', probing: false };
        }
        return;
      }
      // A call admitted while closed that ends after the breaker opened says nothing new.
      if (inner.kind !== 'closed') return;
      if (health === 'healthy') inner = { kind: 'closed', failures: 0 };
      else if (health === 'unhealthy') {
        const failures = inner.failures + 1;
        if (failures >= settings.failureThreshold) {
          open();
          onChange({ from: 'closed', to: 'open', failures });
        } else {
          inner = { kind: 'closed', failures };
        }
      }
    },
    state(now) {
      if (inner.kind === 'open') return now < inner.until ? 'open' : 'half-open';
      return inner.kind;
    },
  };
}
