import type { ModuleRef } from '@nestjs/core';
import { STATIC_CONTEXT } from '@nestjs/core/injector/constants.js';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import type { GenServerProcess } from '../process/gen-server-process.js';

// Where Nest records what a class needs (the values of @nestjs/common's constants).
const PARAMTYPES_METADATA = 'design:paramtypes';
const SELF_DECLARED_DEPS_METADATA = 'self:paramtypes';
const OPTIONAL_DEPS_METADATA = 'optional:paramtypes';
const PROPERTY_DEPS_METADATA = 'self:properties_metadata';
const OPTIONAL_PROPERTY_DEPS_METADATA = 'optional:properties_metadata';

type ProcessClass = new (...args: never[]) => GenServerProcess;

/**
 * Builds one fresh instance of a `@GenServer` class per incarnation: at once when it is built with
 * `new` (a constructor that throws, throws), else a promise (`ModuleRef.create`).
 */
export type InstanceFactory = () => GenServerProcess | Promise<GenServerProcess>;

/**
 * The factory for one `@GenServer` class. When the class is a plain class provider whose
 * constructor and `@Inject()` property dependencies are all default-scoped (singleton) providers,
 * Nest has already resolved them while bootstrapping the provider itself: they are read once from
 * its wrapper, and each incarnation is `new cls(...deps)` with the properties assigned, as Nest
 * does. Anything else — a transient or request-scoped dependency, `INQUIRER`, a factory or value
 * provider, a dependency not resolved yet — goes through `ModuleRef.create` for every instance,
 * which keeps Nest's rules for it (a fresh transient dependency per instance, for one).
 */
export function instanceFactory(wrapper: InstanceWrapper, cls: ProcessClass, moduleRef: ModuleRef): InstanceFactory {
  const plan = directPlan(wrapper, cls);
  if (plan === undefined) return () => moduleRef.create(cls as new () => GenServerProcess);
  const { args, properties } = plan;
  return () => {
    const instance = new cls(...(args as never[]));
    for (const [key, value] of properties) (instance as unknown as Record<string | symbol, unknown>)[key] = value;
    return instance;
  };
}

interface DirectPlan {
  readonly args: readonly unknown[];
  readonly properties: readonly (readonly [string | symbol, unknown])[];
}

/** The resolved dependencies, or `undefined` when the class must go through `ModuleRef.create`. */
function directPlan(wrapper: InstanceWrapper, cls: ProcessClass): DirectPlan | undefined {
  if (wrapper.metatype !== cls || wrapper.inject || wrapper.isTransient || !wrapper.isDependencyTreeStatic()) return undefined;
  const paramCount = constructorParamCount(cls);
  const ctorDeps = wrapper.getCtorMetadata() ?? [];
  const optionalParams: number[] = Reflect.getMetadata(OPTIONAL_DEPS_METADATA, cls) ?? [];
  const args: unknown[] = [];
  for (let index = 0; index < paramCount; index++) {
    const dep = ctorDeps[index];
    // An `@Optional()` dependency Nest did not find is `undefined`, for every instance alike.
    if (dep === undefined && optionalParams.includes(index)) args.push(undefined);
    else if (isSingleton(dep)) args.push(dep.instance);
    else return undefined;
  }
  const declared: { key: string | symbol }[] = Reflect.getMetadata(PROPERTY_DEPS_METADATA, cls) ?? [];
  const resolved = wrapper.getPropertiesMetadata() ?? [];
  const optionalProperties: (string | symbol)[] = Reflect.getMetadata(OPTIONAL_PROPERTY_DEPS_METADATA, cls) ?? [];
  const properties: [string | symbol, unknown][] = [];
  for (const { key } of declared) {
    const dep = resolved.find((item) => item.key === key)?.wrapper;
    if (dep === undefined && optionalProperties.includes(key)) continue;
    if (!isSingleton(dep)) return undefined;
    // Nest leaves a property alone when its dependency resolved to null or undefined.
    if (dep.instance !== null && dep.instance !== undefined) properties.push([key, dep.instance]);
  }
  return { args, properties };
}

/** A default-scoped provider, already built: every instance of the class gets this same object. */
function isSingleton(dep: InstanceWrapper | undefined): dep is InstanceWrapper {
  return dep !== undefined && !dep.isTransient && dep.isDependencyTreeStatic() && dep.getInstanceByContextId(STATIC_CONTEXT).isResolved === true;
}

/** As Nest counts them: the emitted parameter types, overridden by `@Inject()` tokens. */
function constructorParamCount(cls: Function): number {
  const paramTypes: unknown[] = Reflect.getMetadata(PARAMTYPES_METADATA, cls) ?? [];
  const selfDeclared: { index: number }[] = Reflect.getMetadata(SELF_DECLARED_DEPS_METADATA, cls) ?? [];
  return Math.max(paramTypes.length, ...selfDeclared.map(({ index }) => index + 1));
}
