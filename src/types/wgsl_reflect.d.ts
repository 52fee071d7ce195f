// The package ships types for its root entry only; Node must import the ESM module file directly (DESIGN.md).
declare module 'wgsl_reflect/wgsl_reflect.module.js' {
  export * from 'wgsl_reflect';
}
