/**
 * Code point classes and byte encodings the tokenizers need, with llama.cpp's definitions (its unicode.cpp):
 * letters and numbers are the Unicode categories L and N, punctuation P, marks M, symbols S, and whitespace is llama.cpp's own set
 * (JavaScript's \s differs: it has U+FEFF and lacks U+0085).
 */

export const CP_DEFINED = 1; // any code point (flags of a position outside the text are 0)
export const CP_NUMBER = 2;
export const CP_LETTER = 4;
export const CP_WHITESPACE = 8;
export const CP_PUNCT = 16;
export const CP_MARK = 32;
export const CP_SYMBOL = 64;

const WHITESPACE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006,
  0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

const RE_L = /\p{L}/u;
const RE_N = /\p{N}/u;
const RE_P = /\p{P}/u;
const RE_M = /\p{M}/u;
const RE_S = /\p{S}/u;

// Flags computed once per code point seen (0 = not computed yet).
const flagCache = new Uint8Array(0x110000);

export function cpFlags(cp: number): number {
  let f = flagCache[cp];
  if (f !== 0) return f;
  const s = String.fromCodePoint(cp);
  f = CP_DEFINED;
  if (RE_L.test(s)) f |= CP_LETTER;
  else if (RE_N.test(s)) f |= CP_NUMBER;
  else if (RE_P.test(s)) f |= CP_PUNCT;
  else if (RE_M.test(s)) f |= CP_MARK;
  else if (RE_S.test(s)) f |= CP_SYMBOL;
  if (WHITESPACE.has(cp)) f |= CP_WHITESPACE;
  flagCache[cp] = f;
  return f;
}

/** The code points of a string (a lone surrogate stays as it is; TextEncoder would make it U+FFFD). */
export function codePoints(s: string): number[] {
  const out: number[] = [];
  for (const ch of s) out.push(ch.codePointAt(0)!);
  return out;
}

export const utf8Encoder = new TextEncoder();
// ignoreBOM: a leading U+FEFF is text like any other (TextDecoder would drop it).
export const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * GPT-2's byte-level alphabet: bytes that are printable Latin-1 (! .. ~, ¡ .. ¬, ® .. ÿ) stand for themselves,
 * the other 68 bytes map, in byte order, to U+0100, U+0101, ...
 */
function buildByteMaps(): { toChar: string[]; toByte: Map<string, number> } {
  const toChar: string[] = new Array(256);
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let n = 0;
  for (let b = 0; b < 256; b++) toChar[b] = String.fromCodePoint(printable(b) ? b : 256 + n++);
  const toByte = new Map<string, number>();
  toChar.forEach((c, b) => toByte.set(c, b));
  return { toChar, toByte };
}
const BYTE_MAPS = buildByteMaps();
export const BYTE_TO_CHAR: readonly string[] = BYTE_MAPS.toChar;
export const CHAR_TO_BYTE: ReadonlyMap<string, number> = BYTE_MAPS.toByte;

/** A word's UTF-8 bytes written in GPT-2's byte-level alphabet. */
export function byteEncode(word: string): string {
  let out = '';
  for (const b of utf8Encoder.encode(word)) out += BYTE_TO_CHAR[b];
  return out;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** The text with lone surrogates made U+FFFD, as its UTF-8 encoding (what llama.cpp receives) would have it. */
export function wellFormed(s: string): string {
  return s.replace(LONE_SURROGATE, '\uFFFD');
}
