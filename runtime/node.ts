// A GpuContext from Dawn (npm `webgpu`) in Node. Hardware first when the machine shows a GPU; otherwise, or
// when no hardware adapter answers, SwiftShader through the Vulkan loader's ICD variable.
import { existsSync, readdirSync } from 'node:fs';
import { create, globals } from 'webgpu';
import { GpuContext, requestDevice } from '../src/gpu/context.js';

/** Where SwiftShader's Vulkan ICD is found (Debian's chromium package ships one). */
export const SWIFTSHADER_ICDS = [
  '/usr/lib/chromium/vk_swiftshader_icd.json',
  '/usr/lib/chromium-browser/vk_swiftshader_icd.json',
  '/opt/google/chrome/vk_swiftshader_icd.json',
  '/usr/lib64/chromium-browser/vk_swiftshader_icd.json',
];

export interface NodeContextOptions {
  /** 'auto' (default): hardware if any, else SwiftShader. 'swiftshader': never try hardware. */
  adapter?: 'auto' | 'hardware' | 'swiftshader';
  powerPreference?: GPUPowerPreference;
  /** Device limits below the adapter's own (see requestDevice), e.g. a phone's 128 MiB binding size in tests. */
  limits?: Parameters<typeof requestDevice>[2];
}

// Dawn crashes if its GPU object is garbage-collected while devices live: keep every one for the process.
const keepAlive: unknown[] = [];
let installed = false;

function installGlobals(): void {
  if (installed) return;
  Object.assign(globalThis, globals);
  installed = true;
}

function hardwarePresent(): boolean {
  if (existsSync('/dev/nvidia0') || existsSync('/dev/dxg')) return true;
  try {
    return readdirSync('/dev/dri').some((n) => n.startsWith('renderD'));
  } catch {
    return false;
  }
}

export function findSwiftShaderIcd(): string | null {
  const env = process.env.NIBBLE_VK_ICD;
  if (env) {
    if (!existsSync(env)) throw new Error(`NIBBLE_VK_ICD=${env}: no such file`);
    return env;
  }
  return SWIFTSHADER_ICDS.find((p) => existsSync(p)) ?? null;
}

/**
 * Extra flags for Dawn's create(), from NIBBLE_DAWN_FLAGS (separated by spaces), e.g.
 * "enable-dawn-features=vulkan_enable_f16_on_nvidia" to expose shader-f16 on NVIDIA Vulkan, which Dawn hides by default.
 */
export function dawnFlags(): string[] {
  return (process.env.NIBBLE_DAWN_FLAGS ?? '').split(/\s+/).filter(Boolean);
}

async function tryAdapter(powerPreference?: GPUPowerPreference): Promise<{ gpu: GPU; adapter: GPUAdapter } | null> {
  // Silence Dawn's loader chatter about missing runtime dirs.
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  const gpu = create(dawnFlags()) as unknown as GPU;
  keepAlive.push(gpu);
  const adapter = await gpu.requestAdapter({ powerPreference });
  return adapter ? { gpu, adapter } : null;
}

const NO_ADAPTER_HELP = `No WebGPU adapter could be created.
  nibble uses Dawn (npm 'webgpu'). On a machine with a GPU it needs the Vulkan loader and the vendor driver
  (Debian: apt-get install libvulkan1 plus the GPU's driver). On a machine without a GPU it uses SwiftShader,
  the CPU Vulkan driver that Debian's chromium package ships: apt-get install -y chromium libvulkan1
  (or point NIBBLE_VK_ICD at a vk_swiftshader_icd.json).`;

export async function createNodeContext(opts: NodeContextOptions = {}): Promise<GpuContext> {
  installGlobals();
  const mode = opts.adapter ?? (process.env.NIBBLE_ADAPTER as NodeContextOptions['adapter']) ?? 'auto';
  let found: { gpu: GPU; adapter: GPUAdapter } | null = null;
  const explicitIcd = process.env.NIBBLE_VK_ICD;
  if (mode !== 'swiftshader' && !explicitIcd && (mode === 'hardware' || hardwarePresent())) {
    found = await tryAdapter(opts.powerPreference ?? 'high-performance');
    if (found && /llvmpipe|lavapipe/i.test(found.adapter.info.description ?? '')) found = null;
    if (!found && mode === 'hardware') throw new Error(`${NO_ADAPTER_HELP}\n  (NIBBLE_ADAPTER=hardware: no hardware adapter answered)`);
  }
  if (!found) {
    const icd = findSwiftShaderIcd();
    if (!icd) throw new Error(`${NO_ADAPTER_HELP}\n  (no SwiftShader ICD at ${SWIFTSHADER_ICDS.join(', ')})`);
    process.env.VK_ICD_FILENAMES = icd;
    process.env.VK_DRIVER_FILES = icd;
    found = await tryAdapter(opts.powerPreference);
    if (!found) throw new Error(`${NO_ADAPTER_HELP}\n  (the SwiftShader ICD ${icd} gave no adapter: is libvulkan1 installed?)`);
  }
  const device = await requestDevice(found.adapter, 'nibble', opts.limits);
  return new GpuContext({
    adapter: found.adapter,
    device,
    wgslLanguageFeatures: (found.gpu as unknown as { wgslLanguageFeatures?: ReadonlySet<string> }).wgslLanguageFeatures,
    runtime: 'node (Dawn)',
    keepAlive: found.gpu,
  });
}
