import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));

describe('root supervisor failure with onRootFailure "shutdown" (the default)', () => {
  it('logs a clear line, closes the app through its shutdown hooks and exits non-zero', async () => {
    const child = spawn(process.execPath, ['test/fixtures/root-failure-app.mjs'], { cwd: root, env: { ...process.env, NO_COLOR: '1' } });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on('exit', (c, s) => resolve([c, s])),
    );
    expect(code === 0 && signal === null).toBe(false);
    expect(output).toContain('root supervisor "root" reached its restart intensity (cannot go on); the runtime has stopped; shutting the application down');
    expect(output.match(/crashed while handling message "boom"/g)).toHaveLength(4);
  });
});
