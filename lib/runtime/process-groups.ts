import { InvalidOptionError } from '../errors/invalid-option.error.js';
import { NoSuchProcessError } from '../errors/no-such-process.error.js';
import { checkProcessName } from './process-name.js';

/** Throws `InvalidOptionError` unless `group` is a non-empty string. */
export function checkGroupName(group: unknown): asserts group is string {
  if (typeof group !== 'string' || group.length === 0) throw new InvalidOptionError('group name', group, 'a non-empty string');
}

/**
 * Process groups (OTP's `pg`), local to this node: named sets of process names, each in join
 * order. Membership belongs to the name, not the incarnation: a restart keeps it, a stop for good
 * (`forget`) ends it.
 */
export class ProcessGroups {
  private readonly byGroup = new Map<string, Set<string>>();
  private readonly byName = new Map<string, Set<string>>();

  /** @param isRunning whether a process is registered under the name and has not stopped for good. */
  constructor(private readonly isRunning: (name: string) => boolean) {}

  /** Adds `name` to `group` (a no-op when it is a member already). */
  join(group: unknown, name: unknown): void {
    checkGroupName(group);
    checkProcessName(name);
    if (!this.isRunning(name)) throw new NoSuchProcessError(name);
    let members = this.byGroup.get(group);
    if (members === undefined) this.byGroup.set(group, (members = new Set()));
    members.add(name);
    let groups = this.byName.get(name);
    if (groups === undefined) this.byName.set(name, (groups = new Set()));
    groups.add(group);
  }

  /** Takes `name` out of `group`; whether it was a member. */
  leave(group: unknown, name: unknown): boolean {
    checkGroupName(group);
    checkProcessName(name);
    const members = this.byGroup.get(group);
    if (members === undefined || !members.delete(name)) return false;
    if (members.size === 0) this.byGroup.delete(group);
    const groups = this.byName.get(name)!;
    groups.delete(group);
    if (groups.size === 0) this.byName.delete(name);
    return true;
  }

  /** The members of `group` in join order; `[]` for a group nobody is in. */
  members(group: unknown): string[] {
    checkGroupName(group);
    const members = this.byGroup.get(group);
    return members === undefined ? [] : [...members];
  }

  /** The process stopped for good: it leaves every group it was in. */
  forget(name: string): void {
    const groups = this.byName.get(name);
    if (groups === undefined) return;
    this.byName.delete(name);
    for (const group of groups) {
      const members = this.byGroup.get(group)!;
      members.delete(name);
      if (members.size === 0) this.byGroup.delete(group);
    }
  }
}
