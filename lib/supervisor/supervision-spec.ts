import type { DynamicSupervisorSpec, SupervisorSpec } from '../interfaces/supervision.interface.js';

/** Declares a supervisor spec (the same object, typed): `Supervisor({ name, strategy, children })`. */
export function Supervisor(spec: SupervisorSpec): SupervisorSpec {
  return spec;
}
export type Supervisor = SupervisorSpec;

/** Declares a dynamic supervisor spec: `DynamicSupervisor({ name: 'sessions', maxChildren: 1000 })`. */
export function DynamicSupervisor(spec: Omit<DynamicSupervisorSpec, 'type'>): DynamicSupervisorSpec {
  return { ...spec, type: 'dynamic_supervisor' };
}
export type DynamicSupervisor = DynamicSupervisorSpec;
