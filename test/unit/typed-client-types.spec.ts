import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

// The type tests of the typed client are only worth something if they can fail: compile them as
// they are (no error at all), then with every `@ts-expect-error` removed (exactly the errors the
// directives name, on the lines they guard, and no other).
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const typesFile = join(root, 'test', 'types', 'typed-client.types.ts');
const strippedFile = join(root, 'test', 'types', 'typed-client.types.stripped.ts');
const DIRECTIVE = /^\s*\/\/ @ts-expect-error (TS\d+) /;

function compilerOptions(): ts.CompilerOptions {
  const configPath = join(root, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path));
  return { ...ts.parseJsonConfigFileContent(config.config, ts.sys, root, undefined, configPath).options, noEmit: true };
}

/** Diagnostics of one file, compiled with the project's options; `text` replaces its contents when given. */
function diagnosticsOf(file: string, text: string, oldProgram?: ts.Program): { program: ts.Program; diagnostics: readonly ts.Diagnostic[] } {
  const options = compilerOptions();
  const host = ts.createCompilerHost(options);
  const read = host.getSourceFile.bind(host);
  host.getSourceFile = (name, language, onError, create) =>
    name === file ? ts.createSourceFile(name, text, language, true) : read(name, language, onError, create);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram({ rootNames: [file], options, host, oldProgram });
  const source = program.getSourceFile(file)!;
  return { program, diagnostics: [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)] };
}

describe('typed client types', () => {
  const original = readFileSync(typesFile, 'utf8');
  let program: ts.Program;

  it('compile without errors, every @ts-expect-error used', () => {
    const compiled = diagnosticsOf(typesFile, original);
    program = compiled.program;
    expect(compiled.diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).toEqual([]);
  }, 120_000);

  it('without the @ts-expect-error directives, fail exactly where and how they say', () => {
    const lines = original.split('\n');
    const expected = new Map<number, string>(); // 0-based line of the guarded statement -> error code
    const stripped = lines.map((line, index) => {
      const directive = DIRECTIVE.exec(line);
      if (!directive) return line;
      expected.set(index + 1, directive[1]!);
      return '//'; // keeps the line numbers
    });
    expect(expected.size).toBeGreaterThanOrEqual(10);
    const { diagnostics } = diagnosticsOf(strippedFile, stripped.join('\n'), program);
    const found = new Map<number, Set<string>>();
    for (const diagnostic of diagnostics) {
      const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start!);
      if (!found.has(line)) found.set(line, new Set());
      found.get(line)!.add(`TS${diagnostic.code}`);
    }
    const describe = (map: Map<number, Iterable<string> | string>) =>
      [...map].map(([line, codes]) => `${line + 1}: ${typeof codes === 'string' ? codes : [...codes].join(',')}`).sort();
    expect(describe(found)).toEqual(describe(expected));
  }, 120_000);
});
