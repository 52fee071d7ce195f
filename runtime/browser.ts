// A GpuContext from navigator.gpu, the same shape as runtime/node.ts.
import { GpuContext, requestDevice } from '../src/gpu/context.js';

export class WebGpuUnavailableError extends Error {}

export async function createBrowserContext(opts: { powerPreference?: GPUPowerPreference } = {}): Promise<GpuContext> {
  const gpu = (globalThis as unknown as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu) {
    const secure = (globalThis as unknown as { isSecureContext?: boolean }).isSecureContext;
    throw new WebGpuUnavailableError(
      secure === false
        ? 'WebGPU needs a secure context: open this page over https or from http://localhost.'
        : 'This browser does not expose WebGPU (navigator.gpu is missing). Use a current Chrome, Edge or Firefox, or enable WebGPU.',
    );
  }
  const adapter = await gpu.requestAdapter({ powerPreference: opts.powerPreference ?? 'high-performance' });
  if (!adapter) throw new WebGpuUnavailableError('navigator.gpu gave no adapter: the GPU may be blocklisted or WebGPU disabled.');
  const device = await requestDevice(adapter);
  return new GpuContext({ adapter, device, wgslLanguageFeatures: gpu.wgslLanguageFeatures as ReadonlySet<string>, runtime: 'browser' });
}
