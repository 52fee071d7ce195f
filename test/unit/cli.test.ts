// The built CLI from the outside: `nibble info` in Node and in headless Chromium.
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

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
