import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { createUndiciTransport, type UndiciTransport } from '../../src/crm/undici-transport.js';
import { startFakeCrm, type FakeCrm } from './fake-crm.js';

/**
 * For a CRM client test file: one real undici transport for the file, and a fresh loopback fake
 * CRM per test, so requests a previous test abandoned can never arrive in this one. Read `crm`
 * and `transport` inside tests and hooks (they are set by then).
 */
export function crmPerTest(): { readonly crm: FakeCrm; readonly transport: UndiciTransport } {
  let crm: FakeCrm | undefined;
  let transport: UndiciTransport | undefined;
  beforeAll(() => {
    transport = createUndiciTransport();
  });
  afterAll(async () => {
    await transport?.close();
  });
  beforeEach(async () => {
    crm = await startFakeCrm();
  });
  afterEach(async () => {
    await crm?.close();
  });
  return {
    get crm() {
      if (!crm) throw new Error('crmPerTest: the fake CRM exists only inside a test');
      return crm;
    },
    get transport() {
      if (!transport) throw new Error('crmPerTest: the transport exists only inside the file’s tests');
      return transport;
    },
  };
}
