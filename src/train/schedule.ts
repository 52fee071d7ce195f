// Learning-rate schedules: pure functions of the step index (0-based: the step about to be taken), identical in
// Node and the browser. A schedule is validated once, when it is made.
export type LrSchedule = (step: number) => number;

export interface WarmupCosineOptions {
  /** Peak learning rate, reached at the end of warmup. */
  lr: number;
  /** Steps of linear warmup: step s < warmup uses lr * (s + 1) / warmup. 0 = no warmup. */
  warmupSteps: number;
  /** Total steps; from warmupSteps to totalSteps the rate follows a half cosine from lr down to minLr. */
  totalSteps: number;
  /** Floor of the cosine (default 0). */
  minLr?: number;
}

function checkStep(step: number): void {
  if (!Number.isInteger(step) || step < 0) throw new Error(`lr schedule: step=${step} must be an integer >= 0`);
}

export function constantLr(lr: number): LrSchedule {
  if (!(Number.isFinite(lr) && lr >= 0)) throw new Error(`lr schedule: lr=${lr} must be finite and >= 0`);
  return (step) => (checkStep(step), lr);
}

/**
 * Linear warmup then cosine decay: lr * (s + 1) / W for s < W; then with progress t = (s - W) / (T - W),
 * minLr + (lr - minLr) * (1 + cos(pi * t)) / 2, so the first post-warmup step is exactly lr and steps at or past T
 * stay at minLr.
 */
export function warmupCosine(o: WarmupCosineOptions): LrSchedule {
  const minLr = o.minLr ?? 0;
  if (!(Number.isFinite(o.lr) && o.lr >= 0)) throw new Error(`warmupCosine: lr=${o.lr} must be finite and >= 0`);
  if (!(Number.isFinite(minLr) && minLr >= 0 && minLr <= o.lr)) throw new Error(`warmupCosine: minLr=${minLr} must be in [0, lr=${o.lr}]`);
  if (!Number.isInteger(o.warmupSteps) || o.warmupSteps < 0) throw new Error(`warmupCosine: warmupSteps=${o.warmupSteps} must be an integer >= 0`);
  if (!Number.isInteger(o.totalSteps) || o.totalSteps <= o.warmupSteps) throw new Error(`warmupCosine: totalSteps=${o.totalSteps} must be an integer > warmupSteps=${o.warmupSteps}`);
  const W = o.warmupSteps;
  const span = o.totalSteps - W;
  return (step) => {
    checkStep(step);
    if (step < W) return (o.lr * (step + 1)) / W;
    const t = Math.min(1, (step - W) / span);
    return minLr + ((o.lr - minLr) * (1 + Math.cos(Math.PI * t))) / 2;
  };
}

/** Linear warmup then linear decay to minLr at totalSteps. */
export function warmupLinear(o: WarmupCosineOptions): LrSchedule {
  const cos = warmupCosine(o); // same validation
  const minLr = o.minLr ?? 0;
  const W = o.warmupSteps;
  const span = o.totalSteps - W;
  return (step) => {
    if (step < W) return cos(step);
    checkStep(step);
    const t = Math.min(1, (step - W) / span);
    return o.lr + (minLr - o.lr) * t;
  };
}
