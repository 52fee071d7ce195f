// f64 reference of the MLP forward (Linear -> SiLU -> ... -> Linear) with a running f32 error bound, for checking
// two GPU forwards of the same weights (fake-quant graph vs converted fused kernels) against each other.
import { U_F16, U_F32 } from './tolerance.js';

const silu = (z: number) => z / (1 + Math.exp(-z));
/** max |d silu / dz| over the reals (about 1.0998). */
const SILU_LIP = 1.1;

/**
 * Logits of x [rows, sizes[0]] and, per logit, a bound on the error of an f32 evaluation in any summation order:
 * per layer e_z <= (K+1) u (|W||h| + |b|) + |W| e_h, and e_h' <= 1.1 e_z + u |silu(z)| (first-order terms).
 * `inputs`: each layer's input (x, then the hidden activations), e.g. to calibrate activation quantizers.
 * `f16`: a forward that stores the hidden activations as f16 (each rounded once: + u16 |h| + 2^-25 for the
 * subnormals) and, with `products`, forms its products in f16 (u = u16 in the dot-product term); x is taken as given
 * (pass the f16-rounded values the forward reads).
 */
export function mlpForwardRef(sizes: number[], w: ArrayLike<number>[], b: ArrayLike<number>[], x: ArrayLike<number>, rows: number, f16?: { products: boolean }): { logits: Float64Array; bound: Float64Array; inputs: Float64Array[] } {
  const uDot = f16?.products ? U_F16 : U_F32;
  const uStore = f16 ? U_F16 : 0;
  let h = Float64Array.from(x);
  let e = new Float64Array(h.length);
  const inputs: Float64Array[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    inputs.push(h);
    const K = sizes[l];
    const N = sizes[l + 1];
    const z = new Float64Array(rows * N);
    const ez = new Float64Array(rows * N);
    for (let m = 0; m < rows; m++) {
      for (let n = 0; n < N; n++) {
        let s = b[l][n];
        let abs = Math.abs(b[l][n]);
        let prop = 0;
        for (let k = 0; k < K; k++) {
          const wk = w[l][n * K + k];
          s += wk * h[m * K + k];
          abs += Math.abs(wk * h[m * K + k]);
          prop += Math.abs(wk) * e[m * K + k];
        }
        z[m * N + n] = s;
        ez[m * N + n] = (K + 1) * uDot * abs + prop;
      }
    }
    if (l + 2 < sizes.length) {
      h = z.map(silu);
      e = ez.map((v, i) => SILU_LIP * v + (U_F32 + uStore) * Math.abs(h[i]) + (f16 ? 2 ** -25 : 0));
    } else {
      h = z;
      e = ez;
    }
  }
  return { logits: h, bound: e, inputs };
}
