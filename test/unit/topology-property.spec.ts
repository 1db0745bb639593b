import fc from 'fast-check';
import { stringify } from 'yaml';
import { parseTopology, TopologyError, type ChildSpec, type SupervisorSpec } from 'nestjs-genserver';
import { SpecReader } from '../../lib/supervisor/spec-reader.js';

// Keys and values a topology could plausibly hold, mixed with nonsense, at random depths.
const key = fc.constantFrom(
  'genserver', 'supervision', 'name', 'strategy', 'children', 'supervisor', 'type', 'restart', 'args', 'mailbox', 'max',
  'max_restarts', 'within_ms', 'backoff', 'base_ms', 'max_ms', 'jitter', 'max_children', 'handler_timeout_ms',
  'shutdown_ms', 'heartbeat_ms', 'call_timeout_ms', 'state_store', 'on_root_failure', 'drain_budget', 'x',
);
const scalar = fc.oneof(
  fc.constantFrom('one_for_one', 'ONE_FOR_ALL', 'rest_for_one', 'permanent', 'transient', 'temporary', 'dynamic_supervisor', 'exponential', 'memory', 'keep', 'root', 'w', '${HOME}', '${NOPE:-5}'),
  fc.integer({ min: -5, max: 20_000 }),
  fc.double({ noNaN: true }),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 8 }),
);
const { doc } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, scalar, tie('map'), tie('list')),
  map: fc.dictionary(key, tie('value'), { maxKeys: 6 }),
  list: fc.array(tie('value'), { maxLength: 4 }),
  doc: fc.oneof(fc.record({ genserver: tie('map') }), tie('map'), scalar),
}));

/** A valid topology is one the supervision spec reader accepts whole. */
function readAll(spec: SupervisorSpec, reader: SpecReader, path = 'supervision'): void {
  reader.supervisor(spec, path);
  (spec.children ?? []).forEach((child: ChildSpec, index) => {
    const at = `${path}.children[${index}]`;
    const form = reader.childForm(child, at);
    if (form.kind === 'supervisor') readAll(form.spec, reader, form.path);
    else if (form.kind === 'dynamic_supervisor') reader.dynamicSupervisor(form.spec, at);
    else reader.processOptions(form.spec, at);
  });
}

describe('any document', () => {
  it('becomes a valid topology or a TopologyError, never anything else', () => {
    const reader = new SpecReader();
    fc.assert(
      fc.property(fc.oneof(doc.map((d) => stringify(d)), fc.string({ maxLength: 60 })), (text) => {
        try {
          const options = parseTopology(text, 'random.yaml', { HOME: '/root' });
          if (options.supervision) readAll(options.supervision, reader);
        } catch (error) {
          if (!(error instanceof TopologyError)) throw error;
          expect(error.problems.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 3000, seed: 20261122 },
    );
  });
});
