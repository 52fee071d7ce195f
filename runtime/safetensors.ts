// safetensors files from Node: read a path into one buffer (tensors are views of it), write atomically
// (a temporary file in the same folder, then rename), so a failed write leaves nothing behind.
import { closeSync, fstatSync, openSync, readSync, renameSync, rmSync, writeSync, fsyncSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseSafetensors, serializeSafetensors, type Safetensors, type Tensor } from '../src/io/safetensors.js';

export function readSafetensorsFile(path: string): Safetensors {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const buf = new Uint8Array(new ArrayBuffer(size));
    let o = 0;
    while (o < size) {
      const n = readSync(fd, buf, o, size - o, o);
      if (n === 0) throw new Error(`${path}: file shrank while reading (${o} of ${size} bytes)`);
      o += n;
    }
    return parseSafetensors(buf, path);
  } finally {
    closeSync(fd);
  }
}

/** Serializes first (so invalid tensors throw before any file exists), then writes tmp + rename. */
export function writeSafetensorsFile(path: string, tensors: Record<string, Tensor>, metadata: Record<string, string> = {}): void {
  const parts = serializeSafetensors(tensors, metadata);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  let fd: number | null = openSync(tmp, 'wx');
  try {
    for (const p of parts) {
      let o = 0;
      while (o < p.length) o += writeSync(fd, p, o, p.length - o);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== null) closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
}
