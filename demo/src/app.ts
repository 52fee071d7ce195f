// Shared page state: the GPU context (replaced after a lost device) and the bundled data, loaded once.
import { createBrowserContext } from '../../runtime/browser.js';
import { loadDigitsUrl } from '../../runtime/data.js';
import { splitDigits, type DigitsSplit } from '../../src/data/digits.js';
import { GpuError, type GpuContext } from '../../src/gpu/context.js';

export const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export const app = {
  ctx: null as unknown as GpuContext,
  /** Bumped whenever the context is replaced, so cached GPU objects know they are stale. */
  generation: 0,
  split: null as Promise<DigitsSplit> | null,
  /** Tests and debugging: destroy the device when training reaches this step (window.nibbleDemo.loseDeviceAtStep). */
  loseAtStep: null as number | null,
};

export async function newContext(): Promise<GpuContext> {
  try {
    app.ctx?.destroy();
  } catch {
    /* a lost device may refuse; it is gone either way */
  }
  app.ctx = await createBrowserContext();
  app.generation++;
  return app.ctx;
}

/** The bundled digits with the same fixed split as `nibble train` (seed 0, 20% test). */
export function digits(): Promise<DigitsSplit> {
  app.split ??= loadDigitsUrl(new URL('data/digits.csv.gz', document.baseURI).href).then((d) => splitDigits(d, { seed: 0 }));
  return app.split;
}

export function isDeviceLost(e: unknown): boolean {
  return (e instanceof GpuError && e.kind === 'device-lost') || Boolean(app.ctx?.lost);
}

/** Shows an error in a page element (never thrown out of an event handler: the page keeps working). */
export function showError(el: HTMLElement, e: unknown): void {
  el.hidden = false;
  el.textContent = e instanceof Error ? e.message : String(e);
}

export function hideError(el: HTMLElement): void {
  el.hidden = true;
  el.textContent = '';
}

export const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
