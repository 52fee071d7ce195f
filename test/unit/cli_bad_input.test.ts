// Every command that reads a file, given a missing file, a directory, an empty file, a file of the wrong format, an
// unreadable path (a path through a regular file: ENOTDIR; the tests run as root, where permissions do not refuse
// reads) or an unknown flag: exit 2, one line on stderr naming the problem, nothing written (issue 18).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const nibble = (args: string[]) => spawnSync(process.execPath, ['bin/nibble.mjs', ...args], { encoding: 'utf8', timeout: 120_000 });
const dir = mkdtempSync(join(tmpdir(), 'nibble-bad-input-'));
const out = join(dir, 'out');
mkdirSync(out);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const files = {
  missing: join(dir, 'no-such-file'),
  directory: join(dir, 'a-directory'),
  empty: join(dir, 'empty'),
  'wrong format': join(dir, 'notes.txt'),
  unreadable: join(dir, 'notes.txt', 'inside-a-file'),
};
mkdirSync(files.directory);
writeFileSync(files.empty, '');
writeFileSync(files['wrong format'], 'these are plain words, not a model file\n'.repeat(20));

// Each command with FILE where the file goes; outputs (if any) go into `out`, which must stay empty.
const COMMANDS: Record<string, (f: string) => string[]> = {
  gguf: (f) => ['gguf', f],
  generate: (f) => ['generate', f, '--prompt', 'hi', '--max-tokens', '2'],
  eval: (f) => ['eval', f, '--tokens', '1,2,3', '--logits', join(out, 'l.safetensors')],
  'eval --text': (f) => ['eval', 'demo/public/models/nibble-tiny.gguf', '--text', f],
  tokenize: (f) => ['tokenize', f, '--text', 'hi'],
  kernel: (f) => ['kernel', 'dequantize', '--in', f, '--out', join(out, 'y.safetensors'), '--param', 'bits=4'],
  'bench FILE.wgsl': (f) => ['bench', f, '--dispatch', '1'],
  'selftest --cases': (f) => ['selftest', '--cases', f],
};

describe('bad input exits 2 with one line naming it, and writes nothing', () => {
  for (const [cmd, argv] of Object.entries(COMMANDS)) {
    it(`nibble ${cmd}`, () => {
      const seen: string[] = [];
      for (const [kind, f] of Object.entries(files)) {
        if (cmd === 'eval --text' && kind === 'wrong format') continue; // any text is a text
        const r = nibble(argv(f));
        const err = r.stderr.trim();
        seen.push(`${kind}: ${err}`);
        expect(r.status, `${cmd} with a ${kind} file: ${r.stdout}\n${r.stderr}`).toBe(2);
        expect(err.split('\n').filter((l) => !/^loading /.test(l)), `${cmd} with a ${kind} file: one line`).toHaveLength(1);
        expect(err, `${cmd} with a ${kind} file names the path`).toContain(f.includes('inside-a-file') ? 'inside-a-file' : f.split('/').pop()!);
      }
      const r = nibble([...argv(files.empty), '--no-such-flag']);
      expect(r.status, `${cmd} --no-such-flag`).toBe(2);
      expect(r.stderr).toMatch(/no-such-flag/);
      expect(readdirSync(out), `${cmd} wrote nothing`).toEqual([]);
      expect(existsSync(join(dir, 'notes.txt'))).toBe(true);
    });
  }
});
