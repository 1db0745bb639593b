import { Injectable } from '@nestjs/common';

/** Time as processes see it; a provider so tests and processes share one clock through DI. */
@Injectable()
export class Clock {
  now(): number {
    return Date.now();
  }
}
