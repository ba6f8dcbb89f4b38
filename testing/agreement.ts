// Test helpers: compare TF.js numbers with reference numbers and keep a per-name agreement table.
import { expect } from 'vitest';

/** Largest absolute and relative difference seen (relative over reference elements with |ref| ≥ 1e-6). */
export interface Agreement {
  maxAbs: number;
  maxRel: number;
}

/** Records the worst disagreement per name across many comparisons. */
export class AgreementTable {
  readonly rows = new Map<string, Agreement>();

  /** Compares `actual` with `expected` elementwise, records the differences under `name`, and checks `|a − e| ≤ atol + rtol·|e|`. */
  check(name: string, actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol: number): void {
    expect(actual.length, `${name}: length`).toBe(expected.length);
    const row = this.rows.get(name) ?? { maxAbs: 0, maxRel: 0 };
    for (let i = 0; i < expected.length; i++) {
      const a = actual[i] as number;
      const e = expected[i] as number;
      const abs = Math.abs(a - e);
      expect(Number.isFinite(a), `${name}[${i}] is ${a}`).toBe(true);
      row.maxAbs = Math.max(row.maxAbs, abs);
      if (Math.abs(e) >= 1e-6) row.maxRel = Math.max(row.maxRel, abs / Math.abs(e));
      expect(abs, `${name}[${i}]: got ${a}, expected ${e}`).toBeLessThanOrEqual(atol + rtol * Math.abs(e));
    }
    this.rows.set(name, row);
  }

  /** The table as markdown, one row per name. */
  toMarkdown(title: string): string {
    const lines = [`| ${title} | max abs diff | max rel diff |`, '|---|---|---|'];
    for (const [name, { maxAbs, maxRel }] of this.rows) lines.push(`| ${name} | ${maxAbs.toExponential(2)} | ${maxRel.toExponential(2)} |`);
    return lines.join('\n');
  }
}
