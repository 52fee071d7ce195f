// The built CLI from the outside: `nibble info` and `nibble selftest` in Node and in headless Chromium.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';

const nibble = (args: string[]) => spawnSync(process.execPath, ['bin/nibble.mjs', ...args], { encoding: 'utf8', timeout: 300_000 });

describe('nibble info', () => {
  it('reports the Node (Dawn) adapter with its features, as JSON', () => {
    const r = nibble(['info', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.adapter.runtime).toBe('node (Dawn)');
    expect(typeof s.fallback).toBe('boolean');
    for (const k of ['shaderF16', 'subgroups', 'timestampQuery', 'packedDot']) expect(typeof s.features[k]).toBe('boolean');
    expect(s.limits.maxStorageBufferBindingSize).toBeGreaterThan(128 * 1024 * 1024 - 1);
  });
  it('reports the headless Chromium adapter, as text', () => {
    const r = nibble(['info', '--browser']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/runtime\s+browser/);
    expect(r.stdout).toMatch(/features\s+shader-f16: (yes|no), subgroups: (yes|no)/);
  });
  it('refuses an unknown option with a clear message', () => {
    const r = nibble(['info', '--bogus']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/Unknown option '--bogus'/);
  });
  it('lists its commands', () => {
    const out = execFileSync(process.execPath, ['bin/nibble.mjs', 'help'], { encoding: 'utf8' });
    expect(out).toMatch(/info\s+print the WebGPU adapter/);
  });
});

describe('nibble selftest', () => {
  it('runs the GPU case table (filtered) on the Node adapter, and writes --json', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'nibble-selftest-')), 'r.json');
    const listed = nibble(['selftest', '--filter', 'split<=2048B', '--list']).stdout.trim().split('\n');
    expect(listed.length).toBeGreaterThan(3);
    const r = nibble(['selftest', '--filter', 'split<=2048B', '--json', out]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${listed.length} passed, 0 failed, 0 skipped in [\\d.]+ s on .*\\(node \\(Dawn\\)\\)$`, 'm'));
    const j = JSON.parse(readFileSync(out, 'utf8'));
    expect(j.results.map((x: { name: string }) => x.name)).toEqual(listed);
    expect(j.results.every((x: { status: string }) => x.status === 'passed')).toBe(true);
  });
  it('runs in headless Chromium with --browser, skipped cases counted with their reason', () => {
    const r = nibble(['selftest', '--browser', '--filter', 'f16-native symmetric g32 3x19x128|maxBufferSize']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\(browser\)$/m);
    // SwiftShader has no shader-f16: those cases are skipped, the others pass. On an adapter with it, all pass.
    expect(r.stdout).toMatch(/^(4 passed, 0 failed, 0 skipped|1 passed, 0 failed, 3 skipped) in/m);
  });
  it('runs a user table with --cases: a failing case is printed with its error and exits 1', () => {
    const r = nibble(['selftest', '--cases', 'test/fixtures/selftest_cases.mjs']);
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^FAIL fixture: deliberate failure\n {2}Error: this case fails on purpose/m);
    expect(r.stdout).toMatch(/^skipped: 1 \(never runs here\)$/m);
    expect(r.stdout).toMatch(/^1 passed, 1 failed, 1 skipped in /m);
    const ok = nibble(['selftest', '--cases', 'test/fixtures/selftest_cases.mjs', '--filter', 'round trip', '--verbose']);
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^ok {3}fixture: buffer round trip -- read back 1, 2, 3$/m);
  });
  it('refuses --cases that is missing, exports no table, or is combined with --browser', () => {
    const missing = nibble(['selftest', '--cases', 'no/such.mjs']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/--cases no\/such\.mjs: no such file/);
    const ts = nibble(['selftest', '--cases', 'bench/harness.ts']);
    expect(ts.status).toBe(2);
    expect(ts.stderr).toMatch(/--cases bench\/harness\.ts: cannot import it as an ES module/);
    const empty = nibble(['selftest', '--cases', 'dist/src/index.js']);
    expect(empty.status).toBe(2);
    expect(empty.stderr).toMatch(/exports no CASES array/);
    const browser = nibble(['selftest', '--cases', 'test/fixtures/selftest_cases.mjs', '--browser']);
    expect(browser.status).toBe(2);
    expect(browser.stderr).toMatch(/--cases runs in Node only/);
  });
  it('refuses a bad or empty --filter with a clear message', () => {
    const bad = nibble(['selftest', '--filter', '(']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--filter: Invalid regular expression/);
    const none = nibble(['selftest', '--filter', 'no such case']);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/no case matches \(\d+ cases; --list shows them\)/);
  });
});

describe('nibble gguf', () => {
  const fixture = 'test/fixtures/gguf_blocks.gguf';
  it('lists a file: header, tensor types with the kernels that run them, tensors; --check imports them all', () => {
    const r = nibble(['gguf', fixture, '--check']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/gguf_blocks.gguf: GGUF v3, 8.3 KiB, alignment 32, 20 tensors, 1 metadata keys/);
    expect(r.stdout).toMatch(/Q4_K\s+1 tensor\s+864 B\s+matmul_w4a16 \(q4_k: 4.625 bits a weight, the file 4.50\)/);
    expect(r.stdout).toMatch(/Q6_K\s+1 tensor\s+840 B\s+matmul_w4a16 bits=8, matmul_w8a8 \(q6_k: 8.625 bits a weight, the file 6.56\)/);
    expect(r.stdout).toMatch(/blk.3.attn_q.weight\s+Q5_1\s+\[3, 64\]\s+144 B/);
    expect(r.stdout).toMatch(/Q3_K\s+1 tensor\s+660 B\s+matmul_w4a16 \(q3_k: 4.625 bits a weight, the file 3.44\)/);
    expect(r.stdout).toMatch(/Q2_K\s+1 tensor\s+336 B\s+matmul_w4a16 \(q2_k: 5.125 bits a weight, the file 2.63\)/);
    expect(r.stdout).toMatch(/MXFP4\s+1 tensor\s+102 B\s+matmul_w4a16 \(mxfp4: 4.5 \(5 with an exponent past f16\) bits a weight, the file 4.25\)/);
    expect(r.stdout).toMatch(/IQ4_NL\s+1 tensor\s+72 B\s+matmul_w4a16 \(iq4_nl: 4.5 bits a weight, the file 4.50\)/);
    expect(r.stdout).toMatch(/IQ2_XXS\s+1 tensor\s+264 B\s+matmul_w4a16 \(iq2_xxs: 4.375 bits a weight, the file 2.06\)/);
    expect(r.stdout).toMatch(/IQ1_M\s+1 tensor\s+224 B\s+matmul_w4a16 \(iq1_m: 4.625 bits a weight, the file 1.75\)/);
    expect(r.stdout).toMatch(/check: 20 of 20 quantized tensors import cleanly/);
    const j = JSON.parse(nibble(['gguf', fixture, '--json']).stdout);
    expect(j.tensors.map((t: { type: string }) => t.type)).toEqual(['Q4_K', 'Q6_K', 'Q5_K', 'Q5_0', 'Q5_1', 'Q4_0', 'Q4_1', 'Q8_0', 'Q3_K', 'Q2_K', 'MXFP4', 'IQ4_NL', 'IQ4_XS', 'IQ2_XXS', 'IQ2_XS', 'IQ2_S', 'IQ3_XXS', 'IQ3_S', 'IQ1_S', 'IQ1_M']);
    expect(j.tensors[0]).toMatchObject({ name: 'blk.0.ffn_up.weight', shape: [3, 512], bytes: 864 });
  });
  it('--run runs weights on the fused matmul here, timed and checked on sampled columns (--tokens M, --json)', () => {
    const r = nibble(['gguf', fixture, '--run', 'blk.0.ffn_up.weight', '--run', 'output.weight', '--tokens', '3']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/run \(3 x K x N, random f16 x\)/);
    expect(r.stdout).toMatch(/blk.0.ffn_up.weight: Q4_K \[3, 512\] on matmul_w4a16 \(\w+ path, compact k6 scales, f16 \w+\): [\d.]+ ms, 888 B on the GPU; 3 sampled columns within the bound/);
    expect(r.stdout).toMatch(/output.weight: Q6_K \[2, 512\] on matmul_w4a16 bits=8 \(\w+ path, compact s8 scales, f16 \w+\)/);
    const j = JSON.parse(nibble(['gguf', fixture, '--run', 'all', '--json']).stdout);
    expect(j.runs.map((x: { type: string; ok: boolean }) => `${x.type} ${x.ok}`)).toEqual(['Q4_K true', 'Q6_K true', 'Q5_K true', 'Q5_0 true', 'Q5_1 true', 'Q4_0 true', 'Q4_1 true', 'Q8_0 true', 'Q3_K true', 'Q2_K true', 'MXFP4 true', 'IQ4_NL true', 'IQ4_XS true', 'IQ2_XXS true', 'IQ2_XS true', 'IQ2_S true', 'IQ3_XXS true', 'IQ3_S true', 'IQ1_S true', 'IQ1_M true']);
    const no = nibble(['gguf', fixture, '--run', 'nosuch.weight']);
    expect(no.status).toBe(2);
    expect(no.stderr).toMatch(/gguf: --run nosuch.weight: the file has no tensor 'nosuch.weight'/);
    const tk = nibble(['gguf', fixture, '--run', 'output.weight', '--tokens', '0']);
    expect(tk.status).toBe(2);
    expect(tk.stderr).toMatch(/--tokens 0 is not a positive integer/);
  });
  it('bad files: a block with a NaN scale fails --check by name (exit 1); a cut file and a missing one exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nibble-gguf-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const bytes = readFileSync(fixture);
    const off = JSON.parse(nibble(['gguf', fixture, '--json']).stdout).tensors[0].fileOffset as number;
    const nan = Buffer.from(bytes);
    nan[off + 144 + 1] = 0x7e; // super-block 1's d: NaN
    writeFileSync(join(dir, 'nan.gguf'), nan);
    const r = nibble(['gguf', join(dir, 'nan.gguf'), '--check']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/check: 19 of 20 quantized tensors import cleanly; tensor 'blk.0.ffn_up.weight': Q4_K block 1 \(row 0, k 256, byte 144\) has d = NaN/);
    writeFileSync(join(dir, 'cut.gguf'), bytes.subarray(0, bytes.length - 200));
    const c = nibble(['gguf', join(dir, 'cut.gguf')]);
    expect(c.status).toBe(2);
    expect(c.stderr).toMatch(/cut.gguf: tensor '.*' .* run past the end of the file \(\d+ bytes\) \(offset \d+\)/);
    const m = nibble(['gguf', join(dir, 'none.gguf')]);
    expect(m.status).toBe(2);
    expect(m.stderr).toMatch(/gguf: cannot read .*none.gguf: ENOENT/);
  });
});
