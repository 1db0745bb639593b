import { GenServerError } from './genserver.error.js';
import { messages } from './messages.js';

/** An option (a duration, a count, a name…) holds a value it cannot have; `option` names it. */
export class InvalidOptionError extends GenServerError {
  constructor(
    readonly option: string,
    readonly value: unknown,
    expected: string,
  ) {
    super(messages.invalidOption(option, value, expected));
  }
}
