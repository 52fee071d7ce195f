// The tiny WGSL preprocessor: only what `override` constants cannot express.
//   #include "common/name.wgsl"   inline a shared file once (path relative to shaders/)
//   #include "x.wgsl" S=1 A=     inline it again each time, NAME=VALUE (VALUE may be empty) defined inside it: one
//                                 template for several bindings, its names suffixed with {{S}}
//   #if NAME / #if !NAME / #elif NAME / #else / #endif   on defines that are truthy
//   {{NAME}}                       text substitution (element types such as {{T}})
// Every output line remembers the file and line it came from, so compiler messages point at the source.
import { SHADERS } from './shaders.gen.js';

export type Defines = Readonly<Record<string, string | number | boolean>>;

export interface SourceLine {
  file: string; // shaders/<key>.wgsl
  line: number; // 1-based
}

export interface Preprocessed {
  code: string;
  map: SourceLine[]; // map[i] = origin of output line i+1
}

export class ShaderSourceError extends Error {}

export function shaderSource(key: string, sources: Readonly<Record<string, string>> = SHADERS): string {
  const text = sources[key];
  if (text === undefined) {
    throw new ShaderSourceError(`shader '${key}' not found: expected shaders/${key}.wgsl (run 'npm run gen' after adding shaders)`);
  }
  return text;
}

function truthy(defines: Defines, expr: string, where: SourceLine): boolean {
  const m = /^(!?)\s*([A-Za-z_][A-Za-z0-9_]*)$/.exec(expr.trim());
  if (!m) throw new ShaderSourceError(`${where.file}:${where.line}: #if takes NAME or !NAME, got '${expr}'`);
  const v = defines[m[2]];
  const on = v !== undefined && v !== false && v !== 0 && v !== '' && v !== '0';
  return m[1] ? !on : on;
}

export function preprocess(key: string, defines: Defines = {}, sources: Readonly<Record<string, string>> = SHADERS): Preprocessed {
  const out: string[] = [];
  const map: SourceLine[] = [];
  const included = new Set<string>();

  const emit = (k: string, stack: string[], defines: Defines) => {
    if (stack.includes(k)) throw new ShaderSourceError(`#include cycle: ${[...stack, k].join(' -> ')}`);
    const lines = shaderSource(k, sources).split('\n');
    // Each frame: [active now, some branch already taken, parent active]
    const conds: { active: boolean; taken: boolean; parent: boolean }[] = [];
    const active = () => (conds.length ? conds[conds.length - 1].active : true);
    lines.forEach((raw, i) => {
      const where = { file: `shaders/${k}.wgsl`, line: i + 1 };
      const t = raw.trim();
      let m: RegExpExecArray | null;
      if ((m = /^#if\s+(.*)$/.exec(t))) {
        const parent = active();
        const c = parent && truthy(defines, m[1], where);
        conds.push({ active: c, taken: c, parent });
      } else if ((m = /^#elif\s+(.*)$/.exec(t))) {
        const f = conds[conds.length - 1];
        if (!f) throw new ShaderSourceError(`${where.file}:${where.line}: #elif without #if`);
        const c = f.parent && !f.taken && truthy(defines, m[1], where);
        f.active = c;
        f.taken ||= c;
      } else if (t === '#else') {
        const f = conds[conds.length - 1];
        if (!f) throw new ShaderSourceError(`${where.file}:${where.line}: #else without #if`);
        f.active = f.parent && !f.taken;
        f.taken = true;
      } else if (t === '#endif') {
        if (!conds.pop()) throw new ShaderSourceError(`${where.file}:${where.line}: #endif without #if`);
      } else if ((m = /^#include\s+"([^"]+)"((?:\s+[A-Za-z_][A-Za-z0-9_]*=\S*)*)$/.exec(t))) {
        if (!active()) return;
        const inc = m[1].replace(/\.wgsl$/, '');
        if (m[2]) {
          const args = Object.fromEntries(m[2].trim().split(/\s+/).map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]));
          emit(inc, [...stack, k], { ...defines, ...args });
        } else if (!included.has(inc)) {
          included.add(inc);
          emit(inc, [...stack, k], defines);
        }
      } else if (t.startsWith('#')) {
        throw new ShaderSourceError(`${where.file}:${where.line}: unknown directive '${t}'`);
      } else if (active()) {
        const line = raw.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_, name: string) => {
          const v = defines[name];
          if (v === undefined) throw new ShaderSourceError(`${where.file}:${where.line}: {{${name}}} has no value (defines: ${Object.keys(defines).join(', ') || 'none'})`);
          return String(v);
        });
        out.push(line);
        map.push(where);
      }
    });
    if (conds.length) throw new ShaderSourceError(`shaders/${k}.wgsl: ${conds.length} #if without #endif`);
  };
  emit(key, [], defines);
  return { code: out.join('\n'), map };
}
