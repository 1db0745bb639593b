import { Catch, HttpStatus, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import {
  AlreadyStartedError,
  CallTimeoutError,
  GenServerError,
  MailboxFullError,
  MaxChildrenError,
  NoSuchProcessError,
  ProcessCrashedError,
  ProcessStoppedError,
} from 'nestjs-genserver';

/** Maps runtime errors to HTTP statuses a client can act on. */
@Catch(GenServerError)
export class GenServerExceptionFilter implements ExceptionFilter {
  catch(error: GenServerError, host: ArgumentsHost) {
    const status =
      error instanceof CallTimeoutError ? HttpStatus.GATEWAY_TIMEOUT
      : error instanceof NoSuchProcessError ? HttpStatus.NOT_FOUND
      : error instanceof AlreadyStartedError ? HttpStatus.CONFLICT
      : error instanceof MailboxFullError || error instanceof ProcessStoppedError || error instanceof MaxChildrenError
        ? HttpStatus.SERVICE_UNAVAILABLE
      : error instanceof ProcessCrashedError ? HttpStatus.BAD_GATEWAY
      : HttpStatus.INTERNAL_SERVER_ERROR;
    host.switchToHttp().getResponse().status(status).json({ statusCode: status, error: error.name, message: error.message });
  }
}
