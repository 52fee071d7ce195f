// The shapes every side of a comparison uses (nibble's rows and the peers'), so a ratio compares like with like.
// The shapes are 1x4096x4096 (decode) and 256x1024x1024 (prefill); a CPU adapter (SwiftShader, about
// 0.2 GFLOP/s) gets them scaled down, and --quick scales them further for CI smoke runs.

export interface MatmulShape {
  /** 'decode' (GEMV, M = 1) or 'prefill' (GEMM). */
  kind: 'decode' | 'prefill';
  M: number;
  N: number;
  K: number;
}

export interface ShapeOptions {
  quick: boolean;
  fallback: boolean;
}

export function matmulShapes(o: ShapeOptions): MatmulShape[] {
  if (o.quick) {
    return [
      { kind: 'decode', M: 1, N: 512, K: 1024 },
      { kind: 'prefill', M: 16, N: 256, K: 256 },
    ];
  }
  if (o.fallback) {
    // The tiled f32 kernel (a real-GPU shape) needs ~15 s a sample at 1x4096x4096 on SwiftShader: halve N and K.
    return [
      { kind: 'decode', M: 1, N: 2048, K: 2048 },
      { kind: 'prefill', M: 32, N: 1024, K: 1024 },
    ];
  }
  return [
    { kind: 'decode', M: 1, N: 4096, K: 4096 },
    { kind: 'prefill', M: 256, N: 1024, K: 1024 },
  ];
}

export const shapeLabel = (s: { M: number; N: number; K: number }) => `${s.M}x${s.N}x${s.K}`;

/** The comparison group of a matmul shape: nibble's rows and the peer's rows at that shape share it. */
export const matmulGroup = (s: MatmulShape) => `matmul ${s.kind} ${shapeLabel(s)}`;

/** The MLP training-step comparison (issue 7): 64-256-256-10, batch 128, Adam. */
export const MLP = { sizes: [64, 256, 256, 10], batch: 128, lr: 1e-3 } as const;
export const MLP_GROUP = 'train step MLP 64-256-256-10 b128';
