import { Module, type DynamicModule } from '@nestjs/common';
import { DASHBOARD_OPTIONS } from '../genserver.constants.js';
import { InvalidOptionError } from '../errors/invalid-option.error.js';
import { DashboardCollector } from './dashboard-collector.js';
import { dashboardController } from './dashboard.controller.js';
import type { GenServerDashboardOptions } from './dashboard-options.interface.js';

/**
 * A live dashboard of the supervision tree, served by the app itself:
 * `GenServerDashboardModule.forRoot({ path: '/genserver', guard?, actions?, top? })` next to
 * `GenServerModule`. The page and its assets ship in the package (no CDN); its data arrives over
 * server-sent events, gathered only while a page is open.
 */
@Module({})
export class GenServerDashboardModule {
  static forRoot(options: GenServerDashboardOptions = {}): DynamicModule {
    if (options === null || typeof options !== 'object') throw new InvalidOptionError('GenServerDashboardModule.forRoot()', options, 'an object: { path?, guard?, actions?, top? }');
    const { path, guard, actions, top } = options;
    if (path !== undefined && (typeof path !== 'string' || !path.startsWith('/'))) throw new InvalidOptionError('dashboard path', path, "a path that starts with '/'");
    if (top !== undefined && (typeof top !== 'number' || !Number.isInteger(top) || top < 1 || top > 10_000)) throw new InvalidOptionError('dashboard top', top, 'a whole number from 1 to 10000');
    if (actions !== undefined && typeof actions !== 'boolean') throw new InvalidOptionError('dashboard actions', actions, 'a boolean');
    if (guard !== undefined && typeof guard !== 'function' && (guard === null || typeof (guard as { canActivate?: unknown }).canActivate !== 'function')) {
      throw new InvalidOptionError('dashboard guard', guard, 'a Nest guard: a CanActivate class or instance');
    }
    return {
      module: GenServerDashboardModule,
      controllers: [dashboardController(options)],
      providers: [{ provide: DASHBOARD_OPTIONS, useValue: options }, DashboardCollector],
    };
  }
}
