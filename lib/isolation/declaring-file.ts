import { pathToFileURL } from 'node:url';

/**
 * The file of the code that called `fn` (a decorator factory): where a class is declared, so a
 * worker can import it again. A `file:` URL; `undefined` when the stack does not say (eval, a
 * bundler that dropped file names).
 */
export function declaringFile(fn: Function): string | undefined {
  const original = Error.prepareStackTrace;
  const holder: { stack?: unknown } = {};
  try {
    Error.prepareStackTrace = (_error, sites) => sites;
    Error.captureStackTrace(holder, fn);
    const sites = holder.stack as NodeJS.CallSite[] | undefined;
    const file = Array.isArray(sites) ? sites.map((site) => site.getFileName()).find((name) => typeof name === 'string' && name.length > 0) : undefined;
    if (file === undefined || file === null) return undefined;
    return file.startsWith('file:') ? file : file.startsWith('/') || /^[A-Za-z]:[\\/]/.test(file) ? pathToFileURL(file).href : undefined;
  } catch {
    return undefined;
  } finally {
    Error.prepareStackTrace = original;
  }
}
