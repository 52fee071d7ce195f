// CPU reference (f64) for matmuls. Returns C and, per element, sum_k |a_mk * b_kn| for the
// condition-aware error bound of DESIGN.md.
type Num = ArrayLike<number>;

export interface MatmulRefShape {
  M: number;
  N: number;
  K: number;
  transA?: boolean;
  transB?: boolean;
}

export function matmulRef(a: Num, b: Num, s: MatmulRefShape): { c: Float64Array; absSum: Float64Array } {
  const { M, N, K } = s;
  const c = new Float64Array(M * N);
  const absSum = new Float64Array(M * N);
  const A = (m: number, k: number) => (s.transA ? a[k * M + m] : a[m * K + k]);
  const B = (k: number, n: number) => (s.transB ? b[n * K + k] : b[k * N + n]);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let acc = 0;
      let abs = 0;
      for (let k = 0; k < K; k++) {
        const p = A(m, k) * B(k, n);
        acc += p;
        abs += Math.abs(p);
      }
      c[m * N + n] = acc;
      absSum[m * N + n] = abs;
    }
  }
  return { c, absSum };
}
