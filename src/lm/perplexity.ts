// Perplexity as llama.cpp's perplexity tool computes it: the tokens cut into windows of n; in each window the first
// token becomes BOS when the model adds one, and the predictions of positions n/2 .. n-2 (each of the next token)
// are scored; the figure is exp(mean NLL) over every scored token of every whole window.
import type { LanguageModel } from './model.js';

export interface PerplexityResult {
  windows: number;
  count: number;
  nll: number;
  perplexity: number;
  /** The running perplexity after each window, as llama.cpp prints it. */
  perWindow: number[];
  firstWindow: number[];
  firstLogits: Float32Array;
}

export async function perplexityWindows(lm: LanguageModel, ids: readonly number[], n: number, o: { decode?: boolean; replaceFirstWithBos?: boolean } = {}): Promise<PerplexityResult> {
  const windows = Math.floor(ids.length / n);
  if (windows < 1) throw new RangeError(`${ids.length} tokens do not fill one window of ${n} tokens`);
  const V = lm.config.vocab;
  const bos = lm.tokenizer.addBos ? lm.tokenizer.bos : null;
  let nll = 0;
  let count = 0;
  const perWindow: number[] = [];
  let firstWindow: number[] = [];
  let firstLogits: Float32Array = new Float32Array(0);
  const first = Math.floor(n / 2);
  for (let w = 0; w < windows; w++) {
    const win = ids.slice(w * n, (w + 1) * n);
    if (o.replaceFirstWithBos && bos !== null) win[0] = bos;
    const logits = await lm.logits(win, { decode: o.decode });
    if (w === 0) {
      firstWindow = win;
      firstLogits = logits;
    }
    for (let j = first; j < n - 1; j++) {
      const row = logits.subarray(j * V, (j + 1) * V);
      let max = -Infinity;
      for (let v = 0; v < V; v++) if (row[v] > max) max = row[v];
      let sum = 0;
      for (let v = 0; v < V; v++) sum += Math.exp(row[v] - max);
      const lp = row[win[j + 1]] - max - Math.log(sum);
      if (!Number.isFinite(lp)) throw new RangeError(`window ${w}, position ${j}: the log-probability of token ${win[j + 1]} is ${lp}`);
      nll -= lp;
      count++;
    }
    perWindow.push(Math.exp(nll / count));
  }
  return { windows, count, nll: nll / count, perplexity: Math.exp(nll / count), perWindow, firstWindow, firstLogits };
}
