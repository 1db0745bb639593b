import { lastValueFrom, toArray, type Observable } from 'rxjs';

/** Every value an Observable emits until it completes. */
export function lastArrayOf<T>(source: Observable<T>): Promise<T[]> {
  return lastValueFrom(source.pipe(toArray()));
}
