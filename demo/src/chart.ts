// A plain-canvas line chart: training loss per step (left axis) and, optionally, test accuracy at checkpoints
// (right axis).
export class TrainChart {
  loss: [number, number][] = [];
  acc: [number, number][] = [];
  total = 1;
  private queued = false;

  /** o.title: the loss legend; o.accuracy: false for a loss-only chart (no right axis). */
  constructor(
    private readonly canvas: HTMLCanvasElement,
    readonly o: { title?: string; accuracy?: boolean } = {},
  ) {
    this.draw();
  }

  /** The loss legend (default 'loss'). */
  set title(t: string) {
    this.o.title = t;
    this.update();
  }

  reset(total: number): void {
    this.loss = [];
    this.acc = [];
    this.total = Math.max(1, total);
    this.update();
  }

  addLoss(step: number, loss: number): void {
    this.loss.push([step, loss]);
    this.update();
  }

  addAccuracy(step: number, acc: number): void {
    this.acc.push([step, acc]);
    this.update();
  }

  private update(): void {
    this.canvas.dataset.lossPoints = String(this.loss.length);
    this.canvas.dataset.accPoints = String(this.acc.length);
    this.canvas.dataset.losses = JSON.stringify(this.loss.map((p) => p[1]));
    if (this.queued) return;
    this.queued = true;
    requestAnimationFrame(() => {
      this.queued = false;
      this.draw();
    });
  }

  draw(): void {
    const c = this.canvas;
    const g = c.getContext('2d')!;
    const W = c.width;
    const H = c.height;
    const L = 52, R = 52, T = 20, B = 30;
    g.clearRect(0, 0, W, H);
    g.fillStyle = '#fff';
    g.fillRect(0, 0, W, H);
    g.font = '12px sans-serif';
    const maxLoss = Math.max(0.1, ...this.loss.map((p) => p[1])) * 1.05;
    const x = (s: number) => L + ((W - L - R) * s) / this.total;
    const yl = (v: number) => T + (H - T - B) * (1 - v / maxLoss);
    const ya = (v: number) => T + (H - T - B) * (1 - v);
    g.strokeStyle = '#ccd';
    g.strokeRect(L, T, W - L - R, H - T - B);
    g.fillStyle = '#333';
    for (let i = 0; i <= 4; i++) {
      const v = (maxLoss * i) / 4;
      g.fillText(v.toFixed(2), 6, yl(v) + 4);
      if (this.o.accuracy !== false) g.fillText(`${25 * i}%`, W - R + 6, ya(i / 4) + 4);
    }
    g.fillText('step', W / 2, H - 8);
    g.fillText(`0`, L, H - B + 14);
    g.fillText(String(this.total), W - R - 20, H - B + 14);
    g.fillStyle = '#1f6feb';
    g.fillText(this.o.title ?? 'loss', L + 6, T - 6);
    if (this.o.accuracy !== false) {
      g.fillStyle = '#2b7a3d';
      g.fillText('test accuracy (fake-quant model)', L + 60, T - 6);
    }
    if (this.loss.length) {
      g.strokeStyle = '#1f6feb';
      g.lineWidth = 1.5;
      g.beginPath();
      this.loss.forEach(([s, v], i) => (i ? g.lineTo(x(s), yl(v)) : g.moveTo(x(s), yl(v))));
      g.stroke();
    }
    if (this.acc.length) {
      g.strokeStyle = '#2b7a3d';
      g.fillStyle = '#2b7a3d';
      g.beginPath();
      this.acc.forEach(([s, v], i) => (i ? g.lineTo(x(s), ya(v)) : g.moveTo(x(s), ya(v))));
      g.stroke();
      for (const [s, v] of this.acc) {
        g.beginPath();
        g.arc(x(s), ya(v), 3, 0, 2 * Math.PI);
        g.fill();
      }
    }
  }
}
