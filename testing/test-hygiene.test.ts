// Checks every test file for the patterns that made tests unable to fail (issue 18, item 10): a test registered
// only when its own condition is already false, a test body that returns early and so passes without checking,
// and a reference Python chosen outside testing/python.ts (which honours GANKIT_PYTHON).
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it, vi } from 'vitest';
import { repoDir } from './cli-process';
import { referencePython, referencePythonPath } from './python';

function testFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) testFiles(path, out);
    else if (entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const files = ['packages', 'apps', 'testing'].flatMap((d) => testFiles(join(repoDir, d)));
const TEST_FUNCTIONS = new Set(['it', 'test']);

/** `it`, `test`, `it.skipIf(x)`, `it.runIf(x)`, `it.each(...)` … → true. */
function isTestCall(node: ts.Node): node is ts.CallExpression {
  if (!ts.isCallExpression(node)) return false;
  let callee: ts.Expression = node.expression;
  while (ts.isCallExpression(callee) || ts.isPropertyAccessExpression(callee)) callee = callee.expression;
  return ts.isIdentifier(callee) && TEST_FUNCTIONS.has(callee.text);
}

/** Problems in one test file's source: `file:line what`. */
export function hygieneProblems(path: string, text: string): string[] {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const problems: string[] = [];
  const at = (node: ts.Node, what: string) => problems.push(`${relative(repoDir, path)}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1} ${what}`);
  const visit = (node: ts.Node): void => {
    if (isTestCall(node)) {
      let parent = node.parent;
      while (parent && !ts.isSourceFile(parent) && !ts.isBlock(parent)) {
        if (ts.isIfStatement(parent) || ts.isConditionalExpression(parent) || (ts.isBinaryExpression(parent) && parent.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken)) {
          at(node, 'registers a test only under a condition (use it.skipIf/runIf with a visible SKIPPED message)');
          break;
        }
        parent = parent.parent;
      }
      const body = node.arguments.find((a): a is ts.ArrowFunction | ts.FunctionExpression => ts.isArrowFunction(a) || ts.isFunctionExpression(a))?.body;
      if (body && ts.isBlock(body)) {
        for (const statement of body.statements) {
          if (ts.isIfStatement(statement)) {
            const branch = statement.thenStatement;
            const returns = ts.isReturnStatement(branch) || (ts.isBlock(branch) && branch.statements.some((s) => ts.isReturnStatement(s)));
            // `ctx.skip(); return;` reports the test as skipped: allowed.
            const skips = ts.isBlock(branch) && branch.statements.some((s) => ts.isExpressionStatement(s) && /\.skip\(/.test(s.getText()));
            if (returns && !skips) at(statement, 'a test body returns early, so it passes without checking (use it.skipIf/runIf)');
          }
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  if (!path.endsWith(join('testing', 'python.ts'))) {
    text.split('\n').forEach((line, i) => {
      if (/['"`]\/usr\/bin\/python3?['"`]|GANKIT_PYTHON\s*\?\?/.test(line)) {
        problems.push(`${relative(repoDir, path)}:${i + 1} picks the reference Python itself (use referencePython from testing/python.ts, which honours GANKIT_PYTHON)`);
      }
    });
  }
  return problems;
}

describe('test hygiene', () => {
  it('finds the test files', () => {
    expect(files.length).toBeGreaterThan(40);
  });

  it('flags each bad pattern in a sample (so the check itself can fail)', () => {
    const bad = [
      `const PYTHON = '/usr/bin/${'python3'}';`,
      "if (!hasNumpy) it('NOTE: skipped', () => expect(hasNumpy).toBe(false));",
      "it('x', async () => { if (tf.findBackend('tensorflow')) return; expect(1).toBe(1); });",
    ].join('\n');
    expect(hygieneProblems(join(repoDir, 'sample.test.ts'), bad)).toHaveLength(3);
    expect(hygieneProblems(join(repoDir, 'sample.test.ts'), "it.skipIf(!python)('y', () => { expect(1).toBe(1); });")).toEqual([]);
  });

  it('no test file registers tests conditionally, returns early from a test, or picks its own Python', () => {
    const problems = files.flatMap((f) => hygieneProblems(f, readFileSync(f, 'utf8')));
    expect(problems).toEqual([]);
  });

  it('the reference Python follows GANKIT_PYTHON, and a missing one is reported (and fatal with GANKIT_REQUIRE_PYTHON=1)', () => {
    const saved = { python: process.env.GANKIT_PYTHON, require: process.env.GANKIT_REQUIRE_PYTHON };
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      process.env.GANKIT_PYTHON = '/nonexistent/python3';
      process.env.GANKIT_REQUIRE_PYTHON = '0';
      expect(referencePythonPath()).toBe('/nonexistent/python3');
      expect(referencePython(['json'], 'probe')).toBeUndefined();
      expect(String(warn.mock.calls[0]?.[0])).toMatch(/^SKIPPED probe: \/nonexistent\/python3 cannot import json/);
      process.env.GANKIT_PYTHON = '/nonexistent/python3.x';
      process.env.GANKIT_REQUIRE_PYTHON = '1';
      expect(() => referencePython(['json'], 'probe')).toThrow(/GANKIT_REQUIRE_PYTHON=1 but \/nonexistent\/python3\.x cannot import json/);
      const python = spawnSync('sh', ['-c', 'command -v python3'], { encoding: 'utf8' }).stdout.trim();
      process.env.GANKIT_PYTHON = python;
      expect(referencePython(['json'], 'probe')).toBe(python);
    } finally {
      warn.mockRestore();
      for (const [key, value] of [['GANKIT_PYTHON', saved.python], ['GANKIT_REQUIRE_PYTHON', saved.require]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });
});
