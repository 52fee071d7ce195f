// What the headless harness page exposes as window.nibble: the library plus the browser runtime.
export * from '../src/index.js';
export { createBrowserContext, WebGpuUnavailableError } from './browser.js';
