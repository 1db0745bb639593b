import { Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { GENSERVER_FAULTS } from '../genserver.constants.js';
import { GenServerModule } from '../genserver.module.js';
import { InvalidOptionError } from '../errors/invalid-option.error.js';
import type { GenServerModuleOptions } from '../interfaces/genserver-module-options.interface.js';
import { GenServerFaults } from './genserver-faults.js';
import { GenServerTesting } from './genserver-testing.js';
import { ProbeProcess, ProbeRegistry } from './probe.process.js';
import { VirtualClock } from './virtual-clock.js';

/**
 * `GenServerModule` for tests: import `GenServerTestingModule.forRoot(options)` instead of
 * `GenServerModule.forRoot` in `Test.createTestingModule`. Every timer of the runtime runs on a
 * `VirtualClock` the test moves, faults can be injected, and probes stand in for processes. Same
 * options as `GenServerModule.forRoot`, except `clock` (the module brings its own) and a default
 * `onRootFailure: 'keep'` (a root supervisor giving up must not end the test runner).
 */
@Module({})
export class GenServerTestingModule implements OnApplicationShutdown {
  constructor(private readonly testing: GenServerTesting) {}

  static forRoot(options: GenServerModuleOptions = {}): DynamicModule {
    if (typeof options !== 'object' || options === null || Array.isArray(options)) {
      throw new InvalidOptionError('GenServerTestingModule.forRoot options', options, 'an object of GenServerModule options, or nothing');
    }
    if (options.clock !== undefined) {
      throw new InvalidOptionError('clock', options.clock, 'left out: GenServerTestingModule brings its own VirtualClock (GenServerTesting.clock)');
    }
    const clock = new VirtualClock();
    return {
      module: GenServerTestingModule,
      global: true,
      imports: [GenServerModule.forRoot({ onRootFailure: 'keep', ...options, clock })],
      providers: [
        { provide: VirtualClock, useValue: clock },
        GenServerFaults,
        { provide: GENSERVER_FAULTS, useExisting: GenServerFaults },
        ProbeRegistry,
        ProbeProcess,
        GenServerTesting,
      ],
      exports: [VirtualClock, GenServerFaults, GENSERVER_FAULTS, GenServerTesting],
    };
  }

  onApplicationShutdown(): Promise<void> {
    return this.testing.closeProbes();
  }
}
