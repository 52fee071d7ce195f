// `nibble lm job` (npm start) from the outside, short: two QAT runs of 2 steps from the bundled f32 model, the
// converted files written, llama.cpp's probabilities on the 4-bit file within the bound, samples of both models.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { parseGgufFile } from '../../src/io/gguf.js';

describe('nibble lm job', () => {
  it('runs end to end (2 steps) and the 4-bit file passes the llama.cpp check', () => {
    const out = mkdtempSync(join(tmpdir(), 'nibble-lm-job-'));
    onTestFinished(() => rmSync(out, { recursive: true, force: true }));
    const r = spawnSync(process.execPath, ['bin/nibble.mjs', 'lm', 'job', '--steps', '2', '--chars', '24', '--out', out, '--json'], { encoding: 'utf8', timeout: 600_000 });
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.llamacpp.ok, JSON.stringify(j.llamacpp)).toBe(true);
    expect(j.llamacpp.maxDiff).toBeLessThanOrEqual(j.llamacpp.bound);
    for (const k of ['ptq', 'qat', 'converted']) {
      expect(Number.isFinite(j.q4_0[k]), `q4_0.${k}`).toBe(true);
      expect(Number.isFinite(j.w2[k]), `w2.${k}`).toBe(true);
    }
    expect(j.w2.ptq).toBeGreaterThan(j.q4_0.ptq); // 2 bits lose more than 4 before QAT
    expect(j.samples.f32.startsWith('ROMEO:\n')).toBe(true);
    expect(j.samples.q4_0.length).toBeGreaterThan('ROMEO:\n'.length);
    const f = parseGgufFile(readFileSync(j.q4_0.file));
    expect(f.tensors.filter((t) => t.type === 'Q4_0').length).toBe(15);
    expect(readFileSync(j.w2.file).length).toBe(j.w2.bytes);
  });
});
