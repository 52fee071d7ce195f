// One table of GPU test cases, run twice: in Node on Dawn (test/kernels/node.test.ts) and in headless
// Chromium (test/browser/browser.test.ts). A case throws on failure and may return a line of detail.
import type { GpuContext } from '../../src/gpu/context.js';

export interface GpuCase {
  name: string;
  /** Returns a reason to skip on this adapter (e.g. no shader-f16), or null. */
  needs?: (ctx: GpuContext) => string | null;
  run: (ctx: GpuContext) => Promise<string | void>;
}

export class CaseFailure extends Error {}

export function assert(ok: boolean, message: string): asserts ok {
  if (!ok) throw new CaseFailure(message);
}

/** Asserts a comparison from src/ref/tolerance.ts passed; returns its message for the case's detail. */
export function check(r: { ok: boolean; message: string }): string {
  assert(r.ok, r.message);
  return r.message;
}

/** Runs `fn` and returns the message of the error it must throw; fails if it does not throw. */
export async function expectError(what: string, fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new CaseFailure(`${what}: expected an error, none was thrown`);
}

/** Buffers a case creates (data or a byte size, a label) and destroys together in its `finally`. */
export function caseBuffers(ctx: GpuContext): { buf: (data: Float32Array | number, label: string) => GPUBuffer; destroy: () => void } {
  const bufs: GPUBuffer[] = [];
  return {
    buf: (data, label) => {
      const b = ctx.createBuffer(data, undefined, label);
      bufs.push(b);
      return b;
    },
    destroy: () => bufs.forEach((b) => b.destroy()),
  };
}
