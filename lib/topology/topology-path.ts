/** A place in a topology: keys and list indexes from the top of the document. */
export type TopologyPath = readonly (string | number)[];

/** `['genserver', 'supervision', 'children', 1, 'name']` → `genserver.supervision.children[1].name`. */
export function formatPath(path: TopologyPath): string {
  return (
    path.reduce<string>((text, part) => {
      if (typeof part === 'number') return `${text}[${part}]`;
      return text ? `${text}.${part}` : part;
    }, '') || '(root)'
  );
}

/** Whether `path` is `under` or inside it (both formatted). */
export function isWithin(path: string, under: string): boolean {
  return path === under || under === '(root)' || path.startsWith(`${under}.`) || path.startsWith(`${under}[`);
}
