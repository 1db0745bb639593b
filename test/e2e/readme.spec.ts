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

/** A fenced block: its code, the heading it sits under, its line, and the context comments above it. */
interface Block {
  heading: string;
  line: number;
  code: string;
  /** `<!-- ts-before: … -->` / `<!-- ts-after: … -->`: what a fragment needs around it to compile. */
  before: string;
  after: string;
}

/** The fenced blocks of one language, each with the heading it sits under. */
function blocks(language: string): Block[] {
  const found: Block[] = [];
  let heading = '';
  const lines = readme.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.startsWith('#')) heading = lines[i]!.replace(/^#+\s*/, '');
    if (lines[i] !== '```' + language) continue;
    const context = (kind: string) => lines.slice(Math.max(0, i - 2), i).map((l) => new RegExp(`^<!-- ts-${kind}: (.*) -->$`).exec(l)?.[1]).find((c) => c !== undefined) ?? '';
    const end = lines.indexOf('```', i + 1);
    found.push({ heading, line: i + 1, code: lines.slice(i + 1, end).join('\n'), before: context('before'), after: context('after') });
    i = end;
  }
  return found;
}

/** What a block without imports of its own may use, as a reader of the README would have imported it. */
const PRELUDE = [
  "import { Body, Controller, Get, Injectable, Module, Param, Post, UseFilters } from '@nestjs/common';",
  "import { HttpAdapterHost, NestFactory } from '@nestjs/core';",
  'import { DynamicSupervisor, From, GenServer, GenServerExceptionFilter, GenServerModule, GenServerProcess, GenServerRuntime,',
  "  HandleCall, HandleCast, HandleInfo, noReply, Supervisor, topology, type GenServerModuleOptions } from 'nestjs-genserver';",
].join('\n');

/** The block as a module: its own imports first, then its context, the code, and what closes it. */
function asModule(block: Block): string {
  const lines = block.code.split('\n');
  const imports = lines.filter((l) => /^import /.test(l));
  const rest = lines.filter((l) => !/^import /.test(l));
  return [imports.length > 0 ? imports.join('\n') : PRELUDE, block.before, rest.join('\n'), block.after, 'export {};'].join('\n');
}

const COMPILER: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  skipLibCheck: true,
  noEmit: true,
  types: ['node'],
};

function check(files: string[]): string[] {
  const program = ts.createProgram(files, COMPILER);
  return ts.getPreEmitDiagnostics(program).map((d) => `${d.file ? `${d.file.fileName.replace(root, '')}: ` : ''}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

describe('README', () => {
  it('has a quick start that compiles as printed against the built package', () => {
    const quickStart = blocks('ts').find((block) => block.heading.startsWith('Quick start'));
    expect(quickStart).toBeDefined();
    expect(quickStart!.before).toBe(''); // as printed: nothing added
    // Inside the package's folder, `nestjs-genserver` resolves to the package itself (its `exports`).
    const dir = join(root, 'out/readme-check');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'quick-start.ts');
    writeFileSync(file, quickStart!.code);
    expect(check([file])).toEqual([]);
  }, 60_000);

  it('has TypeScript blocks that all compile, fragments in the context their comment gives', () => {
    const dir = join(root, 'out/readme-check');
    mkdirSync(dir, { recursive: true });
    const all = blocks('ts');
    expect(all.length).toBeGreaterThan(5);
    const files = all.map((block) => {
      const file = join(dir, `line-${block.line}.ts`);
      writeFileSync(file, asModule(block));
      return file;
    });
    expect(check(files)).toEqual([]);
  }, 120_000);

  it('has only YAML blocks that are valid topologies', () => {
    const yaml = blocks('yaml');
    expect(yaml.length).toBeGreaterThan(0);
    for (const [index, block] of yaml.entries()) {
      expect(() => parseTopology(block.code, `README.md yaml block ${index + 1} (${block.heading})`, {})).not.toThrow();
    }
  });
});
