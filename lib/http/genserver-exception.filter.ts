import { Catch, HttpStatus, Optional, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { AgentBusyError } from '../errors/agent-busy.error.js';
import { AlreadyStartedError } from '../errors/already-started.error.js';
import { CallTimeoutError } from '../errors/call-timeout.error.js';
import { GenServerError } from '../errors/genserver.error.js';
import { InvalidPayloadError } from '../errors/invalid-payload.error.js';
import { MailboxFullError } from '../errors/mailbox-full.error.js';
import { MaxChildrenError } from '../errors/max-children.error.js';
import { NoSuchNodeError } from '../errors/no-such-node.error.js';
import { NoSuchProcessError } from '../errors/no-such-process.error.js';
import { ProcessCrashedError } from '../errors/process-crashed.error.js';
import { ProcessStoppedError } from '../errors/process-stopped.error.js';
import { TaskCancelledError } from '../errors/task-cancelled.error.js';
import { UnhandledMessageError } from '../errors/unhandled-message.error.js';

/** The JSON body of an error the filter answers. */
export interface GenServerErrorBody {
  readonly statusCode: number;
  /** The error's class name (`CallTimeoutError`, …). */
  readonly error: string;
  readonly message: string;
  /** The process the error is about, when it names one. */
  readonly process?: string;
}

/** HTTP status per error class, most specific first (a subclass before its parent). */
const STATUSES: readonly [abstract new (...args: never[]) => GenServerError, HttpStatus][] = [
  [NoSuchProcessError, HttpStatus.NOT_FOUND],
  [AlreadyStartedError, HttpStatus.CONFLICT],
  [InvalidPayloadError, HttpStatus.BAD_REQUEST],
  [UnhandledMessageError, HttpStatus.BAD_REQUEST],
  [ProcessCrashedError, HttpStatus.BAD_GATEWAY],
  [MailboxFullError, HttpStatus.SERVICE_UNAVAILABLE],
  [ProcessStoppedError, HttpStatus.SERVICE_UNAVAILABLE],
  [MaxChildrenError, HttpStatus.SERVICE_UNAVAILABLE],
  [NoSuchNodeError, HttpStatus.SERVICE_UNAVAILABLE],
  [CallTimeoutError, HttpStatus.GATEWAY_TIMEOUT],
  [AgentBusyError, HttpStatus.CONFLICT],
  [TaskCancelledError, HttpStatus.CONFLICT],
];

/** The HTTP status a runtime error maps to (500 for one the table does not name). */
export function statusOf(error: GenServerError): number {
  for (const [cls, status] of STATUSES) if (error instanceof cls) return status;
  return HttpStatus.INTERNAL_SERVER_ERROR;
}

/**
 * Answers the runtime's errors that reach a controller with a status a client can act on —
 * `NoSuchProcessError` 404, `AlreadyStartedError` 409, `InvalidPayloadError` and
 * `UnhandledMessageError` 400, `ProcessCrashedError` 502, `MailboxFullError`, `ProcessStoppedError`
 * (also between owners in a cluster), `MaxChildrenError` and `NoSuchNodeError` 503,
 * `CallTimeoutError` 504, any other `GenServerError` 500 — and a JSON body naming the error class
 * and the process. Per controller: `@UseFilters(GenServerExceptionFilter)`; for the whole app:
 * `app.useGlobalFilters(new GenServerExceptionFilter(app.get(HttpAdapterHost)))` (Express or Fastify).
 * Errors that are not the runtime's go on to Nest's own handling.
 */
@Catch(GenServerError)
export class GenServerExceptionFilter implements ExceptionFilter<GenServerError> {
  constructor(@Optional() private readonly adapterHost?: HttpAdapterHost) {}

  catch(error: GenServerError, host: ArgumentsHost): void {
    const statusCode = statusOf(error);
    const process = (error as { process?: unknown }).process;
    const body: GenServerErrorBody = { statusCode, error: error.name, message: error.message, ...(typeof process === 'string' ? { process } : {}) };
    const response: unknown = host.switchToHttp().getResponse();
    const adapter = this.adapterHost?.httpAdapter;
    if (adapter) return adapter.reply(response, body, statusCode);
    // Without the adapter (constructed by hand): Express's response, else Fastify's reply.
    const reply = response as { status?: (code: number) => { json(body: unknown): void }; code?: (code: number) => { send(body: unknown): void } };
    if (typeof reply.status === 'function') reply.status(statusCode).json(body);
    else if (typeof reply.code === 'function') reply.code(statusCode).send(body);
  }
}
