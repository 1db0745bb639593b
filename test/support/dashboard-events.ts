import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DashboardDelta, DashboardProcess, DashboardSnapshot } from 'nestjs-genserver/dashboard';
import type { TestApp } from './app.js';

export interface SseEvent {
  id: string;
  event: string;
  data: DashboardSnapshot | DashboardDelta;
  /** The processes as a page sees them after this event (the snapshot, then each delta applied). */
  view: Map<string, DashboardProcess>;
}

/**
 * Reads the dashboard's server-sent events from a real HTTP stream until `done` says enough (or `ms`
 * pass), then disconnects, as a page that closes would.
 */
export function readEvents(app: TestApp, path: string, done: (events: SseEvent[]) => boolean, options: { headers?: Record<string, string>; ms?: number } = {}): Promise<SseEvent[]> {
  const { port } = app.app.getHttpServer().address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const events: SseEvent[] = [];
    const req = httpRequest({ host: '127.0.0.1', port, path, headers: { accept: 'text/event-stream', ...options.headers } }, (res) => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const field = (name: string) => block.split('\n').find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2) ?? '';
          if (field('data') === '') continue;
          const event = field('event');
          const data = JSON.parse(field('data')) as DashboardSnapshot | DashboardDelta;
          const view = event === 'snapshot' ? new Map((data as DashboardSnapshot).processes.map((p) => [p.name, p])) : new Map(events.at(-1)?.view);
          if (event === 'delta') {
            for (const name of (data as DashboardDelta).removed) view.delete(name);
            for (const p of (data as DashboardDelta).changed) view.set(p.name, p);
          }
          events.push({ id: field('id'), event, data, view });
          if (done(events)) finish();
        }
      });
    });
    const finish = () => {
      clearTimeout(timer);
      req.destroy();
      resolve(events);
    };
    const timer = setTimeout(finish, options.ms ?? 5000);
    req.on('error', (error) => (events.length > 0 ? finish() : reject(error)));
    req.end();
  });
}
