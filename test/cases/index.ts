/// <reference types="vite/client" />
// Collects every test/cases/*.cases.ts table. Node and Chromium import this same module.
import type { GpuContext } from '../../src/gpu/context.js';
import type { GpuCase } from './types.js';

const modules = import.meta.glob<{ CASES: GpuCase[] }>('./*.cases.ts', { eager: true });

export const CASES: GpuCase[] = Object.keys(modules)
  .sort()
  .flatMap((k) => modules[k].CASES);

const names = new Set<string>();
for (const c of CASES) {
  if (names.has(c.name)) throw new Error(`duplicate GPU test case name '${c.name}'`);
  names.add(c.name);
}

export interface CaseResult {
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  detail: string;
  ms: number;
}

/** Runs the named cases (all by default) on `ctx`, one after another, never throwing. */
export async function runCases(ctx: GpuContext, only?: string[]): Promise<CaseResult[]> {
  const out: CaseResult[] = [];
  for (const c of CASES) {
    if (only && !only.includes(c.name)) continue;
    const t0 = performance.now();
    const why = c.needs?.(ctx) ?? null;
    if (why) {
      out.push({ name: c.name, status: 'skipped', detail: why, ms: 0 });
      continue;
    }
    try {
      const detail = (await c.run(ctx)) ?? '';
      out.push({ name: c.name, status: 'passed', detail, ms: performance.now() - t0 });
    } catch (e) {
      out.push({ name: c.name, status: 'failed', detail: String((e as Error)?.stack ?? e), ms: performance.now() - t0 });
    }
  }
  return out;
}
