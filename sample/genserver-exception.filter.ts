import { Catch, HttpStatus, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import {
  CallTimeoutError,
  GenServerError,
  MailboxFullError,
  NoSuchProcessError,
  ProcessStoppedError,
} from 'nestjs-genserver';

/** Maps runtime errors to HTTP statuses a client can act on. */
@Catch(GenServerError)
export class GenServerExceptionFilter implements ExceptionFilter {
  catch(error: GenServerError, host: ArgumentsHost) {
    const status =
      error instanceof CallTimeoutError ? HttpStatus.GATEWAY_TIMEOUT
      : error instanceof NoSuchProcessError ? HttpStatus.NOT_FOUND
      : error instanceof MailboxFullError || error instanceof ProcessStoppedError ? HttpStatus.SERVICE_UNAVAILABLE
      : HttpStatus.INTERNAL_SERVER_ERROR;
    host.switchToHttp().getResponse().status(status).json({ statusCode: status, error: error.name, message: error.message });
  }
}
