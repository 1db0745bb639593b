import { Catch, HttpStatus, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { AgentBusyError, TaskCancelledError, type GenServerErrorBody } from 'nestjs-genserver';

/**
 * The agent errors GenServerExceptionFilter does not map (it would answer 500): a task refused
 * because the agent is busy, or cancelled while its caller waited, is a 409 with the same body.
 * List it after GenServerExceptionFilter in `@UseFilters`: Nest tries the last one first.
 */
@Catch(AgentBusyError, TaskCancelledError)
export class AgentErrorFilter implements ExceptionFilter<AgentBusyError | TaskCancelledError> {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(error: AgentBusyError | TaskCancelledError, host: ArgumentsHost): void {
    const body: GenServerErrorBody = { statusCode: HttpStatus.CONFLICT, error: error.name, message: error.message, process: error.process };
    this.adapterHost.httpAdapter.reply(host.switchToHttp().getResponse(), body, HttpStatus.CONFLICT);
  }
}
