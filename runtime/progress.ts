// A terminal progress bar for training loops: one line, redrawn in place on a TTY, plain periodic lines otherwise
// (CI logs). Shows step/total, loss and step time.
export interface ProgressState {
  step: number;
  total: number;
  loss?: number;
  msPerStep?: number;
  label?: string;
}

export class ProgressBar {
  private last = 0;
  private readonly tty: boolean;
  constructor(
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly width = 28,
  ) {
    this.tty = Boolean(out.isTTY);
  }

  static format(s: ProgressState, width = 28): string {
    const frac = s.total > 0 ? Math.min(1, s.step / s.total) : 0;
    const filled = Math.round(frac * width);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    const parts = [`${s.label ? s.label + ' ' : ''}${bar} ${String(s.step).padStart(String(s.total).length)}/${s.total}`];
    if (s.loss !== undefined) parts.push(`loss ${Number.isFinite(s.loss) ? s.loss.toFixed(4) : String(s.loss)}`);
    if (s.msPerStep !== undefined) parts.push(`${s.msPerStep.toFixed(1)} ms/step`);
    return parts.join('  ');
  }

  update(s: ProgressState): void {
    const line = ProgressBar.format(s, this.width);
    if (this.tty) {
      this.out.write(`\r${line}\x1b[K`);
      if (s.step >= s.total) this.out.write('\n');
      return;
    }
    const now = Date.now();
    if (s.step >= s.total || now - this.last > 2000) {
      this.last = now;
      this.out.write(line + '\n');
    }
  }
}
