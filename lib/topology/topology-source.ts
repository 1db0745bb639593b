/** Where a value of a topology was written, for errors found only at boot (unknown types). */
export interface TopologyLocation {
  readonly source: string;
  readonly path: string;
  readonly line?: number;
  readonly column?: number;
}

// Keyed by the child spec object itself: the options pass through @nestjs/config by reference.
const typeLocations = new WeakMap<object, TopologyLocation>();

export function recordTypeLocation(child: object, location: TopologyLocation): void {
  typeLocations.set(child, location);
}

/** Where the `type` of a child spec was written, if it came from a topology. */
export function typeLocationOf(child: object): TopologyLocation | undefined {
  return typeLocations.get(child);
}
