import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

// #11: a user's TypeScript app type-checks against the package as installed (node_modules, its
// package.json, its .d.ts files), as a CommonJS app and as an ES-module app, with the tsconfig the
// README's "ESM and CommonJS apps" section gives for each — the `terminus`, `testing` and `process` entry points included.

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const APP = `import { GenServerModule, GenServerRuntime, GenServerExceptionFilter } from 'nestjs-genserver';
import { GenServerHealthIndicator } from 'nestjs-genserver/terminus';
import { GenServerTestingModule, VirtualClock } from 'nestjs-genserver/testing';
import { GenServer, GenServerProcess, HandleCall, type GenServerOptions } from 'nestjs-genserver/process';
const options: GenServerOptions = { isolation: 'worker' };
@GenServer(options)
export class Light extends GenServerProcess<number> {
  @HandleCall('get') get(): number {
    return this.state;
  }
}
export const used = [GenServerModule, GenServerRuntime, GenServerExceptionFilter, GenServerHealthIndicator, GenServerTestingModule, VirtualClock];
`;

/** An app folder with the package "installed" (a link to this repo) and its own package.json. */
function app(kind: 'commonjs' | 'module'): string {
  const dir = join(root, 'out/module-systems', kind);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  symlinkSync(root, join(dir, 'node_modules/nestjs-genserver'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `app-${kind}`, type: kind }));
  writeFileSync(join(dir, 'app.ts'), APP);
  return join(dir, 'app.ts');
}

function problems(file: string, options: ts.CompilerOptions): string[] {
  const program = ts.createProgram([file], { strict: true, experimentalDecorators: true, emitDecoratorMetadata: true, skipLibCheck: true, noEmit: true, types: ['node'], typeRoots: [join(root, 'node_modules/@types')], ...options });
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('a TypeScript app using the package', () => {
  it('type-checks as a CommonJS app (module: commonjs)', () => {
    expect(problems(app('commonjs'), { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, esModuleInterop: true })).toEqual([]);
  }, 60_000);

  it('type-checks as a CommonJS app with module: node20 too', () => {
    expect(problems(app('commonjs'), { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.Node20, moduleResolution: ts.ModuleResolutionKind.NodeNext })).toEqual([]);
  }, 60_000);

  it('type-checks as an ES-module app (module: nodenext)', () => {
    expect(problems(app('module'), { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext })).toEqual([]);
  }, 60_000);
});
