import { GenServerError } from '../errors/genserver.error.js';

/** The fault a test asked for (`faults.crashAfter`, `faults.failStoreWrite`): a crash reason or a failed write. */
export class InjectedFaultError extends GenServerError {
  constructor(readonly fault: 'crash' | 'store-write', readonly process: string) {
    super(fault === 'crash' ? `injected fault: process "${process}" crashes (faults.crashAfter)` : `injected fault: the state store refuses a write of "${process}" (faults.failStoreWrite)`);
  }
}
