import { Injectable } from '@nestjs/common';
import { Subject, type Observable } from 'rxjs';
import type { GenServerEvent } from '../process/process-events.js';
export type * from '../process/process-events.js';

/** @internal The bus behind `GenServerRuntime.events$`. */
@Injectable()
export class GenServerEvents {
  private readonly subject = new Subject<GenServerEvent>();
  readonly events$: Observable<GenServerEvent> = this.subject.asObservable();

  emit(event: GenServerEvent): void {
    this.subject.next(event);
  }

  complete(): void {
    this.subject.complete();
  }
}
