import { isPair, isSeq, Scalar, visit, type Document, type Node } from 'yaml';

const EXPRESSION = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const WHOLE = /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}$/;

export interface InterpolationProblem {
  node: Node;
  path: (string | number)[];
  message: string;
}

/**
 * Replaces `${VAR}` and `${VAR:-default}` in the document's string values from `env`, in place.
 * It works on parsed values, never on the text, so a variable cannot inject YAML. A plain
 * (unquoted) value that is one whole expression takes the type its replacement reads as:
 * `max_restarts: ${MAX:-3}` is the number 3.
 */
export function interpolateEnv(doc: Document, env: NodeJS.ProcessEnv): InterpolationProblem[] {
  const problems: InterpolationProblem[] = [];
  visit(doc, {
    Scalar(_key, node, ancestors) {
      if (typeof node.value !== 'string' || !node.value.includes('${')) return;
      const source = node.value;
      const missing: string[] = [];
      const replaced = source.replace(EXPRESSION, (_match, name: string, fallback: string | undefined) => {
        const value = env[name];
        if (value !== undefined && value !== '') return value;
        if (fallback !== undefined) return fallback;
        missing.push(name);
        return '';
      });
      if (missing.length > 0) {
        problems.push({ node, path: pathTo(ancestors, node), message: `environment variable ${missing.join(', ')} is not set and has no default (\${NAME:-default})` });
        return;
      }
      node.value = node.type === Scalar.PLAIN && WHOLE.test(source) ? typed(replaced) : replaced;
    },
  });
  return problems;
}

/** What an unquoted YAML scalar with this text would be: number, boolean, null or string. */
function typed(text: string): unknown {
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  if (text === 'null' || text === '~') return null;
  return text;
}

function pathTo(ancestors: readonly unknown[], node: Node): (string | number)[] {
  const path: (string | number)[] = [];
  ancestors.forEach((ancestor, index) => {
    if (isPair(ancestor)) path.push(String((ancestor.key as Scalar | null)?.value));
    else if (isSeq(ancestor)) path.push(ancestor.items.indexOf((ancestors[index + 1] ?? node) as never));
  });
  return path;
}
