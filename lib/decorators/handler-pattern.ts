/**
 * Records `pattern` (or `undefined` for the catch-all) in a list under `key` on the method, so a
 * method may carry several patterns of the same kind.
 */
export function appendHandlerPattern(key: string, pattern: string | undefined): MethodDecorator {
  return (_target, _property, descriptor) => {
    const method = descriptor.value as object;
    const patterns: (string | undefined)[] = Reflect.getMetadata(key, method) ?? [];
    Reflect.defineMetadata(key, [...patterns, pattern], method);
    return descriptor;
  };
}
