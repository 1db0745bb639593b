import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { GenServer, GenServerModule, GenServerProcess, GenServerRuntime, HandleCall, HandleCast } from 'nestjs-genserver';

@GenServer('counter')
class Counter extends GenServerProcess<{ n: number }> {
  override init() { this.state = { n: 0 }; }
  @HandleCast('inc') inc() { this.state.n++; }
  @HandleCall('get') get() { return this.state.n; }
}

@Module({ imports: [GenServerModule.forRoot({})], providers: [Counter] })
class AppModule {}

test('smoke', async () => {
  const mod = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = mod.createNestApplication();
  await app.init();
  const rt = app.get(GenServerRuntime);
  await rt.cast('counter', { type: 'inc' });
  await rt.cast('counter', { type: 'inc' });
  expect(await rt.call('counter', { type: 'get' })).toBe(2);
  await app.close();
});
