/** Base class of every error this library raises; `instanceof GenServerError` catches them all. */
export class GenServerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
