import { Controller, Get, Header, HttpCode, NotFoundException, Param, Post, Sse, UseFilters, UseGuards, type MessageEvent, type Type } from '@nestjs/common';
import { map, type Observable } from 'rxjs';
import { GenServerExceptionFilter } from '../http/genserver-exception.filter.js';
import { GenServerRuntime } from '../runtime/genserver.runtime.js';
import type { ProcessStatus } from '../interfaces/process-info.interface.js';
import type { GenServerEvent } from '../runtime/genserver-events.js';
import { DashboardCollector } from './dashboard-collector.js';
import { DASHBOARD_CSS, DASHBOARD_JS, dashboardHtml } from './dashboard-page.js';
import type { DashboardSnapshot, GenServerDashboardOptions } from './dashboard-options.interface.js';

/**
 * The dashboard's routes under `options.path`: the page and its assets, a snapshot, the event stream
 * (a snapshot at once, then deltas at most once a second; a reconnecting EventSource's
 * `Last-Event-ID` is answered with a fresh snapshot, so nothing is missed), a process's page data, and, with `actions: true`,
 * restart, stop and cancel-a-turn. The guard, if any, covers every route.
 */
export function dashboardController(options: GenServerDashboardOptions): Type<object> {
  const path = options.path ?? '/genserver';
  const actions = options.actions === true;

  @Controller(path)
  @UseFilters(GenServerExceptionFilter)
  class GenServerDashboardController {
    constructor(
      private readonly collector: DashboardCollector,
      private readonly runtime: GenServerRuntime,
    ) {}

    @Get()
    @Header('content-type', 'text/html; charset=utf-8')
    page(): string {
      return dashboardHtml(path.replace(/\/+$/, ''));
    }

    @Get('assets/dashboard.js')
    @Header('content-type', 'text/javascript; charset=utf-8')
    script(): string {
      return DASHBOARD_JS;
    }

    @Get('assets/dashboard.css')
    @Header('content-type', 'text/css; charset=utf-8')
    style(): string {
      return DASHBOARD_CSS;
    }

    @Get('api/snapshot')
    snapshot(): DashboardSnapshot {
      return this.collector.snapshot();
    }

    @Sse('api/events')
    events(): Observable<MessageEvent> {
      return this.collector.stream().pipe(map(({ id, update }) => ({ id: String(id), type: update.kind, data: update.kind === 'snapshot' ? update.snapshot : update.delta })));
    }

    @Get('api/processes/:name')
    process(@Param('name') name: string): { status: ProcessStatus; events: readonly GenServerEvent[] } {
      return { status: this.runtime.status(name), events: this.collector.eventsOf(name) };
    }

    /** Crashes the running incarnation: its supervisor restarts it by its rules. */
    @Post('api/processes/:name/restart')
    @HttpCode(200)
    async restart(@Param('name') name: string): Promise<{ ok: boolean }> {
      this.allowed();
      return { ok: await this.runtime.kill(name, 'restarted from the dashboard') };
    }

    @Post('api/processes/:name/stop')
    @HttpCode(200)
    async stop(@Param('name') name: string): Promise<{ ok: true }> {
      this.allowed();
      await this.runtime.stop(name, 'normal');
      return { ok: true };
    }

    /** Cancels an agent's running task. */
    @Post('api/processes/:name/cancel')
    @HttpCode(200)
    async cancel(@Param('name') name: string): Promise<{ ok: boolean }> {
      this.allowed();
      return { ok: await this.runtime.cancel(name) };
    }

    private allowed(): void {
      if (!actions) throw new NotFoundException('dashboard actions are off (GenServerDashboardModule.forRoot({ actions: true, guard }))');
    }
  }

  if (options.guard !== undefined) UseGuards(options.guard)(GenServerDashboardController);
  return GenServerDashboardController;
}
