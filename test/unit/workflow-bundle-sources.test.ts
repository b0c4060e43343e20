/**
 * The workers' bundle without its source map's source text (src/workflow-bundle.ts): the same code and the same
 * mappings, so a failed task's stack still maps to the TypeScript file, line and column; only the text is gone.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { bundleWorkflows, inlineSourceMap, withoutSourcesContent, workerWorkflowBundle } from '../../src/workflow-bundle.js';

const MARK = '//# sourceMappingURL=data:';
const mapOf = (code: string) => inlineSourceMap(code)!.map as Record<string, unknown> & { sourcesContent?: unknown[] };
const headOf = (code: string) => inlineSourceMap(code)!.head;
const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error };

describe('workflow bundle without source text', function () {
  this.timeout(120_000);
  let code: string;
  before(async () => (code = (await bundleWorkflows(quiet)).code));

  it('keeps the code and every mapping, drops sourcesContent, and is much smaller', () => {
    const stripped = withoutSourcesContent(code);
    assert.ok(code.lastIndexOf(MARK) > 0 && headOf(code).length > code.lastIndexOf(MARK), 'the bundle has an inline source map');
    assert.equal(headOf(stripped), headOf(code));
    const before = mapOf(code);
    const after = mapOf(stripped);
    assert.ok(Array.isArray(before.sourcesContent) && before.sourcesContent.length > 10);
    assert.equal(after.sourcesContent, undefined);
    assert.deepEqual({ ...after }, (({ sourcesContent: _, ...rest }) => rest)(before));
    assert.ok(stripped.length < code.length - 500_000, `${stripped.length} vs ${code.length} bytes`);
    // Idempotent, and a bundle with no inline map is left alone.
    assert.equal(withoutSourcesContent(stripped), stripped);
    assert.equal(withoutSourcesContent('export const x = 1;\n'), 'export const x = 1;\n');
  });

  it('maps every position to the same TypeScript file, line and column, with the SDK\'s own source-map library', async () => {
    // The library the SDK maps a failed task's stack with (resolved as the SDK resolves it).
    const { SourceMapConsumer } = createRequire(import.meta.resolve('@temporalio/worker'))('source-map') as {
      SourceMapConsumer: new (map: unknown) => Promise<{ originalPositionFor(p: { line: number; column: number }): { source: string | null } }>;
    };
    const full = await new SourceMapConsumer(mapOf(code));
    const lean = await new SourceMapConsumer(mapOf(withoutSourcesContent(code)));
    const lines = code.split('\n');
    let mapped = 0;
    for (let line = 1; line < lines.length; line += 53) {
      const at = { line, column: Math.min(10, lines[line - 1]!.length) };
      const want = full.originalPositionFor(at);
      if (want.source) mapped++;
      assert.deepEqual(lean.originalPositionFor(at), want, `line ${line}`);
    }
    assert.ok(mapped > 50, `${mapped} positions mapped`);
  });

  it('reads a prebuilt bundle file, and keeps everything when stack traces are on', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dct-bundle-'));
    try {
      const path = join(dir, 'workflow-bundle.js');
      writeFileSync(path, code);
      const loaded = workerWorkflowBundle({ codePath: path }, false);
      assert.ok('code' in loaded);
      assert.equal(loaded.code, withoutSourcesContent(code));
      assert.deepEqual(workerWorkflowBundle({ codePath: path }, true), { codePath: path });
      const missing = join(dir, 'nope.js');
      assert.throws(() => workerWorkflowBundle({ codePath: missing }, false), { message: `workflow bundle (--workflow-bundle) ${missing}: no such file` });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
