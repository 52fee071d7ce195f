// The f64 reference of the mixture-of-experts router (shaders/lm/moe_route.wgsl), as llama.cpp's build_moe_ffn
// computes the experts' weights: probabilities (softmax over a row's logits, or a sigmoid of each), the `used` largest
// chosen (larger first, ties to the lower index, NaN never), their sum normalized to 1 where `norm` (the sum clamped
// below at 6.103515625e-5, the smallest normal f16), times `scale`; 0 for the experts not chosen. With groups (DeepSeek
// V3's group-limited selection) only the experts of the best groups.used groups compete, a group scored by the sum of
// its two largest scores (larger first, ties to the lower index).
import type { MoeDispatchEntry, MoeRouteShape } from '../kernels/moe_route.js';

/** Each row's expert weights [rows, experts] from router logits [rows, experts]; bias: the selection bias (chosen by p + bias, weighted by p). */
export function moeRouteRef(logits: ArrayLike<number>, s: MoeRouteShape, bias?: ArrayLike<number>): Float64Array {
  const { rows, experts: n, used } = s;
  const y = new Float64Array(rows * n);
  const p = new Float64Array(n);
  for (let r = 0; r < rows; r++) {
    const row = Array.from({ length: n }, (_, e) => logits[r * n + e]);
    if (s.gating === 'sigmoid') row.forEach((v, e) => (p[e] = 1 / (1 + Math.exp(-v))));
    else {
      const mx = Math.max(...row);
      let sum = 0;
      row.forEach((v, e) => (sum += p[e] = Math.exp(v - mx)));
      for (let e = 0; e < n; e++) p[e] /= sum;
    }
    const score = Array.from({ length: n }, (_, e) => p[e] + (bias ? bias[e] : 0));
    const taken = s.groups ? groupMask(score, s.groups) : new Array<boolean>(n).fill(false);
    let total = 0;
    for (let k = 0; k < used; k++) {
      let best = -1;
      for (let e = 0; e < n; e++) if (!taken[e] && score[e] > (best < 0 ? -Infinity : score[best])) best = e;
      if (best < 0) break;
      y[r * n + best] = p[best];
      total += p[best];
      taken[best] = true;
    }
    const f = (s.scale ?? 1) / (s.norm ? Math.max(total, 6.103515625e-5) : 1);
    for (let e = 0; e < n; e++) y[r * n + e] *= f;
  }
  return y;
}

/** True for the experts outside the best `used` of `count` groups (a group's score: its two largest scores; NaN never counts). */
export function groupMask(score: readonly number[], g: { count: number; used: number }): boolean[] {
  const per = score.length / g.count;
  const gs = Array.from({ length: g.count }, (_, i) => {
    const top = score.slice(i * per, (i + 1) * per).filter((v) => !Number.isNaN(v)).sort((a, b) => b - a);
    return (top[0] ?? -Infinity) + (top[1] ?? -Infinity);
  });
  const keep = new Array<boolean>(g.count).fill(false);
  for (let k = 0; k < g.used; k++) {
    let best = -1;
    for (let i = 0; i < g.count; i++) if (!keep[i] && (best < 0 || gs[i] > gs[best])) best = i;
    keep[best] = true;
  }
  return score.map((_, e) => !keep[Math.floor(e / per)]);
}

/** The indirect arguments planMoeDispatch writes: entry k's workgroups where a row chose its expert, x = 0 where none did. */
export function moeDispatchRef(w: ArrayLike<number>, rows: number, experts: number, entries: readonly MoeDispatchEntry[]): Uint32Array {
  return Uint32Array.from(
    entries.flatMap(({ workgroups: [x, y = 1, z = 1], expert }) => {
      const used = Array.from({ length: rows }, (_, r) => w[r * experts + expert]).some((v) => v !== 0);
      return [used ? x : 0, y, z];
    }),
  );
}

/** acc + w[t, col] x[t] (unit: acc + x[t]) on the rows whose weight is not 0 (acc [rows, cols], w [rows, wCols]). */
export function moeAddRef(acc: ArrayLike<number>, x: ArrayLike<number>, w: ArrayLike<number>, rows: number, cols: number, wCols: number, col: number, unit = false): Float64Array {
  return Float64Array.from({ length: rows * cols }, (_, i) => {
    const wt = w[Math.floor(i / cols) * wCols + col];
    return wt !== 0 ? acc[i] + (unit ? 1 : wt) * x[i] : acc[i];
  });
}
