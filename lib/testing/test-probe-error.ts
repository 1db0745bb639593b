import { GenServerError } from '../errors/genserver.error.js';

/** An expectation of a `TestProbe` that did not hold: says what was expected and what came instead. */
export class TestProbeError extends GenServerError {}
