/**
 * Why a process ended. `'normal'`, `'shutdown'` and `{ shutdown: string }` are orderly exits;
 * anything else (an `Error` thrown by a handler, any other string) is a crash.
 */
export type ExitReason = string | { shutdown: string } | Error;

/** True for the reasons OTP treats as orderly: no restart of transient children, no error log. */
export function isNormalExit(reason: ExitReason): boolean {
  return (
    reason === 'normal' ||
    reason === 'shutdown' ||
    (typeof reason === 'object' && !(reason instanceof Error) && typeof reason.shutdown === 'string')
  );
}

/** One-line text of a reason, for errors, logs and events. */
export function describeReason(reason: ExitReason): string {
  if (typeof reason === 'string') return reason;
  if (reason instanceof Error) return reason.message;
  return `shutdown: ${reason.shutdown}`;
}
