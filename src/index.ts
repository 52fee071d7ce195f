// nibble: the library. It never touches navigator or the `webgpu` package; it is handed a GpuContext
// (runtime/node.ts or runtime/browser.ts).
export * from './gpu/context.js';
export * from './gpu/kernel.js';
export * from './gpu/timing.js';
export { preprocess, ShaderSourceError, type Defines } from './gpu/preprocess.js';
export { reflectShader, type ShaderReflection, type BindingInfo } from './gpu/reflect.js';
export { BufferPool, sizeClass } from './gpu/pool.js';
export * from './kernels/common.js';
export * from './kernels/basic.js';
export * from './kernels/matmul.js';
export { tuningFor, type Tuning } from './kernels/tuning.js';
export { f32ToF16Bits, f16BitsToF32, toF16 } from './ref/f16.js';
