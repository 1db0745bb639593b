import { Injectable } from '@nestjs/common';
import { MetadataScanner } from '@nestjs/core';
import { GENSERVER_METADATA } from '../genserver.constants.js';
import type { GenServerOptions } from '../interfaces/gen-server-options.interface.js';
import type { HandlerTable } from './handler-table.js';
import { handlersOf } from './handlers-of.js';

/** Reads what the decorators recorded. */
@Injectable()
export class GenServerMetadataAccessor {
  constructor(private readonly scanner: MetadataScanner) {}

  getOptions(target: Function): GenServerOptions | undefined {
    return Reflect.getMetadata(GENSERVER_METADATA, target);
  }

  /** Builds the handler table of a class, inherited handlers included. */
  getHandlers(cls: Function): HandlerTable {
    return handlersOf(cls, this.scanner.getAllMethodNames(cls.prototype as object));
  }
}
