import type { ProcessCell } from '../process/process-cell.js';

/** Running processes by name, in start order (which is the reverse of stop order). */
export class ProcessRegistry {
  private readonly cells = new Map<string, ProcessCell>();

  get(name: string): ProcessCell | undefined {
    return this.cells.get(name);
  }

  has(name: string): boolean {
    return this.cells.has(name);
  }

  add(cell: ProcessCell): void {
    this.cells.set(cell.name, cell);
  }

  delete(name: string): void {
    this.cells.delete(name);
  }

  names(): string[] {
    return [...this.cells.keys()];
  }

  /** Messages waiting, summed per process type. */
  mailboxes(): [string, number][] {
    const byType = new Map<string, number>();
    for (const cell of this.cells.values()) byType.set(cell.type.typeName, (byType.get(cell.type.typeName) ?? 0) + cell.queued);
    return [...byType];
  }

  get size(): number {
    return this.cells.size;
  }
}
