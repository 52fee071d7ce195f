// CPU reference (f64) for shaders/basic: elementwise ops and row sums.
type Num = ArrayLike<number>;

/** y[m, j] = x[m, perm[j]] for x [M, K] row-major (any element type). */
export function permuteColumnsRef<T extends Float32Array | Uint16Array>(x: T, M: number, K: number, perm: ArrayLike<number>): T {
  const y = x.slice(0, M * K) as T;
  for (let m = 0; m < M; m++) for (let j = 0; j < K; j++) y[m * K + j] = x[m * K + perm[j]];
  return y;
}

export function addRef(a: Num, b: Num): Float64Array {
  return Float64Array.from({ length: a.length }, (_, i) => a[i] + b[i]);
}
export function mulRef(a: Num, b: Num): Float64Array {
  return Float64Array.from({ length: a.length }, (_, i) => a[i] * b[i]);
}
export function scaleRef(a: Num, alpha: number): Float64Array {
  const f = Math.fround(alpha);
  return Float64Array.from({ length: a.length }, (_, i) => a[i] * f);
}
/** y + alpha * a with alpha rounded to f32 as the shader's uniform is (y is not modified). */
export function axpyRef(y: Num, a: Num, alpha: number): Float64Array {
  const f = Math.fround(alpha);
  return Float64Array.from({ length: y.length }, (_, i) => y[i] + f * a[i]);
}

/** Row sums of x [rows, cols]; also returns sum |x| per row for the error bound. */
export function reduceSumRef(x: Num, rows: number, cols: number): { y: Float64Array; absSum: Float64Array } {
  const y = new Float64Array(rows);
  const absSum = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    let t = 0;
    for (let c = 0; c < cols; c++) {
      s += x[r * cols + c];
      t += Math.abs(x[r * cols + c]);
    }
    y[r] = s;
    absSum[r] = t;
  }
  return { y, absSum };
}
