import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { parseTopology } from 'nestjs-genserver';

// #11: the README is tested. The quick start a newcomer copies compiles as printed, against the
// package as a user's app sees it (its exports and types, not this repo's sources), and every YAML
// block is a valid topology.

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** The fenced blocks of one language, each with the heading it sits under. */
function blocks(language: string): { heading: string; code: string }[] {
  const found: { heading: string; code: string }[] = [];
  let heading = '';
  const lines = readme.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.startsWith('#')) heading = lines[i]!.replace(/^#+\s*/, '');
    if (lines[i] !== '```' + language) continue;
    const end = lines.indexOf('```', i + 1);
    found.push({ heading, code: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return found;
}

describe('README', () => {
  it('has a quick start that compiles as printed against the built package', () => {
    const quickStart = blocks('ts').find((block) => block.heading.startsWith('Quick start'));
    expect(quickStart).toBeDefined();
    // Inside the package's folder, `nestjs-genserver` resolves to the package itself (its `exports`).
    const dir = join(root, 'out/readme-check');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'quick-start.ts');
    writeFileSync(file, quickStart!.code);
    const program = ts.createProgram([file], {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      skipLibCheck: true,
      noEmit: true,
      types: ['node'],
    });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => `${d.file ? `${d.file.fileName.replace(root, '')}: ` : ''}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(problems).toEqual([]);
  }, 60_000);

  it('has only YAML blocks that are valid topologies', () => {
    const yaml = blocks('yaml');
    expect(yaml.length).toBeGreaterThan(0);
    for (const [index, block] of yaml.entries()) {
      expect(() => parseTopology(block.code, `README.md yaml block ${index + 1} (${block.heading})`, {})).not.toThrow();
    }
  });
});
