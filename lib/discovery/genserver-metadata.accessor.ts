import { Injectable } from '@nestjs/common';
import { MetadataScanner } from '@nestjs/core';
import {
  GENSERVER_METADATA,
  HANDLE_CALL_METADATA,
  HANDLE_CAST_METADATA,
  HANDLE_INFO_METADATA,
} from '../genserver.constants.js';
import type { GenServerOptions } from '../interfaces/gen-server-options.interface.js';
import type { MessageKind } from '../process/envelope.js';
import { HandlerTable, type HandlerMethod } from './handler-table.js';

const KIND_KEYS: readonly (readonly [MessageKind, string])[] = [
  ['call', HANDLE_CALL_METADATA],
  ['cast', HANDLE_CAST_METADATA],
  ['info', HANDLE_INFO_METADATA],
];

/** Reads what the decorators recorded. */
@Injectable()
export class GenServerMetadataAccessor {
  constructor(private readonly scanner: MetadataScanner) {}

  getOptions(target: Function): GenServerOptions | undefined {
    return Reflect.getMetadata(GENSERVER_METADATA, target);
  }

  /** Builds the handler table of a class, inherited handlers included. */
  getHandlers(cls: Function): HandlerTable {
    const table = new HandlerTable(cls.name);
    const prototype = cls.prototype as Record<string, unknown>;
    for (const methodName of this.scanner.getAllMethodNames(prototype)) {
      const method = prototype[methodName] as HandlerMethod;
      for (const [kind, key] of KIND_KEYS) {
        const patterns: (string | undefined)[] | undefined = Reflect.getMetadata(key, method);
        for (const pattern of patterns ?? []) table.add(kind, pattern, method);
      }
    }
    return table;
  }
}
