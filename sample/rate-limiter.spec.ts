import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import type { INestApplication } from '@nestjs/common';
import { GenServerTesting, GenServerTestingModule } from 'nestjs-genserver/testing';
import { NodeName } from './node-name.service.js';
import { RateLimiter, type AcquireReply } from './rate-limiter.genserver.js';

// The sample's own test, written with the testing kit: time is the test's to move, so the
// refill every second is checked without waiting a second.

describe('RateLimiter', () => {
  let app: INestApplication;
  let testing: GenServerTesting;

  beforeEach(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        GenServerTestingModule.forRoot({
          supervision: {
            name: 'root',
            strategy: 'one_for_one',
            children: [{ name: 'rate_limiter', type: RateLimiter, args: { capacity: 3, refill_per_second: 2 } }],
          },
        }),
      ],
      providers: [RateLimiter, { provide: NodeName, useValue: { value: undefined } }],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    testing = app.get(GenServerTesting);
  });
  afterEach(() => app.close());

  // A typed client: `acquire` is checked against RateLimiter.acquire, the reply is an AcquireReply.
  const acquire = (): Promise<AcquireReply> => testing.runtime.client(RateLimiter).call('acquire');

  it('hands out its capacity, then refuses until the next refill', async () => {
    expect(await acquire()).toEqual({ ok: true, remaining: 2 });
    await acquire();
    await acquire();
    expect(await acquire()).toEqual({ ok: false, remaining: 0 });
    await testing.clock.tick(999);
    expect(await acquire()).toEqual({ ok: false, remaining: 0 });
    await testing.clock.tick(1);
    expect(await acquire()).toEqual({ ok: true, remaining: 1 });
  });

  it('never refills past its capacity', async () => {
    await acquire();
    await testing.clock.tick(10_000);
    expect(await acquire()).toEqual({ ok: true, remaining: 2 });
  });

  it('comes back full after a crash: the supervisor restarts it with its args', async () => {
    const probe = await testing.probe();
    for (let i = 0; i < 3; i++) await acquire();
    testing.faults.crashAfter('rate_limiter', 0);
    await expect(acquire()).rejects.toMatchObject({ name: 'ProcessCrashedError' });
    await probe.expectRestart('rate_limiter');
    expect(await acquire()).toEqual({ ok: true, remaining: 2 });
  });
});
