// What the engine does with a recorded step (src/lm/record.ts StepRecorder): its ops' dispatches in order, an expert's
// armed from its layer's moe_dispatch (planOps), and the buffers of its values by liveness (assignBuffers).
import type { GpuContext } from '../gpu/context.js';
import type { Dispatch } from '../kernels/common.js';
import type { Op, StepRecorder, Val } from './record.js';

/** Where an armed dispatch reads its workgroups: its arming's arguments (made by the arming's late plan), 12 bytes an entry. */
export type IndirectArgs = { buffer: GPUBuffer; offset: number };

/**
 * Every op's dispatches in order, each with its op's label; an expert op's dispatches become entries of their layer's
 * arming and run indirectly from its arguments (resolved once the late ops, the armings, are planned).
 */
export async function planOps(rec: StepRecorder, buf: (v: Val) => GPUBuffer): Promise<{ d: Dispatch; label: string; indirect?: () => IndirectArgs }[]> {
  const planned: { d: Dispatch; label: string; indirect?: () => IndirectArgs }[][] = [];
  for (const op of rec.ops) {
    if (op.late) {
      planned.push([]);
      continue;
    }
    const ds = await op.plan(buf);
    planned.push(
      ds.map((d) => {
        if (!op.gate) return { d, label: op.label };
        const { arm, expert } = op.gate;
        d.kernel.checkWorkgroups(d.workgroups); // an indirect dispatch is not checked when encoded
        const index = arm.entries.push({ workgroups: d.workgroups, expert }) - 1;
        return { d, label: op.label, indirect: () => ({ buffer: arm.args!, offset: 12 * index }) };
      }),
    );
  }
  for (const [i, op] of rec.ops.entries()) if (op.late) planned[i] = (await op.plan(buf)).map((d) => ({ d, label: op.label }));
  return planned.flat();
}

/**
 * Buffers for the recorded values by liveness: a value's buffer returns to a free list (by size) after the last op
 * that reads it, so every layer reuses the same few buffers. `fixed` values keep the buffers given.
 */
export function assignBuffers(ctx: GpuContext, ops: readonly Op[], fixed: Map<number, GPUBuffer>, keep: readonly Val[]): { buf: (v: Val) => GPUBuffer; temps: GPUBuffer[] } {
  const last = new Map<number, number>();
  ops.forEach((op, i) => op.ins.forEach((v) => last.set(v.id, i)));
  for (const v of keep) last.set(v.id, Infinity);
  const bufs = new Map<number, GPUBuffer>(fixed);
  const free = new Map<number, GPUBuffer[]>();
  const temps: GPUBuffer[] = [];
  const released = new Set<number>();
  ops.forEach((op, i) => {
    for (const v of op.outs) {
      if (bufs.has(v.id)) continue;
      const bytes = 4 * v.rows * v.cols;
      const b = free.get(bytes)?.pop() ?? ctx.createBuffer(bytes, undefined, `lm activation ${v.rows}x${v.cols}`);
      if (!temps.includes(b)) temps.push(b);
      bufs.set(v.id, b);
    }
    for (const v of [...op.ins, ...op.outs]) {
      if (released.has(v.id) || fixed.has(v.id) || (last.get(v.id) ?? -1) > i) continue;
      released.add(v.id);
      const bytes = 4 * v.rows * v.cols;
      if (!free.has(bytes)) free.set(bytes, []);
      free.get(bytes)!.push(bufs.get(v.id)!);
    }
  });
  return {
    buf: (v) => {
      const b = bufs.get(v.id);
      if (!b) throw new Error(`internal: value ${v.id} [${v.rows}, ${v.cols}] has no buffer`);
      return b;
    },
    temps,
  };
}
