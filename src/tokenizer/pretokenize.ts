/**
 * BPE pre-tokenizers: the text is cut into words before merges, by the regular expressions named by
 * `tokenizer.ggml.pre`. llama.cpp applies a list of expressions in turn, each one cutting every piece the previous
 * one left (matches and the gaps between them both become pieces); its common expressions run as hand-written
 * scanners (unicode.cpp) whose corner cases differ slightly from a regex engine, so they are scanned here the same
 * way rather than run through RegExp; the others (tekken, gpt-4o, seed-coder, ...) run as llama.cpp runs them, a
 * regex over a collapsed text (collapsedRegexSplit), or, where an expression names no \p{} class (deepseek-coder's
 * line and CJK expressions, viking's), over the text itself (wideRegexSplit).
 */
import { CP_DEFINED, CP_LETTER, CP_MARK, CP_NUMBER, CP_PUNCT, CP_SYMBOL, CP_WHITESPACE, cpFlags } from './unicode.js';

/** Cuts cps[start, end) into pieces, appending their lengths (code points) to `out`. */
type Splitter = (cps: readonly number[], start: number, end: number, out: number[]) => void;

const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;
const QUOTE = 0x27;

const lowerAscii = (cp: number) => (cp >= 0x41 && cp <= 0x5a ? cp + 32 : cp);

/** Length of a contraction ('s 't 'm 'd 're 've 'll) at i, or 0; `fold` matches them in any case. */
function contraction(cps: readonly number[], i: number, end: number, fold: boolean): number {
  if (cps[i] !== QUOTE || i + 1 >= end) return 0;
  const f = fold ? lowerAscii : (c: number) => c;
  const a = f(cps[i + 1]);
  if (a === 0x73 || a === 0x74 || a === 0x6d || a === 0x64) return 2; // s t m d
  if (i + 2 >= end) return 0;
  const b = f(cps[i + 2]);
  if ((a === 0x72 && b === 0x65) || (a === 0x76 && b === 0x65) || (a === 0x6c && b === 0x6c)) return 3; // re ve ll
  return 0;
}

/** GPT-2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S) (and a lone char otherwise). */
const gpt2: Splitter = (cps, start, end, out) => {
  const flags = (i: number) => (i >= start && i < end ? cpFlags(cps[i]) : 0);
  let pos = start;
  const emit = (to: number) => {
    out.push(to - pos);
    pos = to;
  };
  while (pos < end) {
    const c = contraction(cps, pos, end, false);
    if (c) {
      emit(pos + c);
      continue;
    }
    const lead = cps[pos] === SPACE ? 1 : 0;
    const f2 = flags(pos + lead);
    const other = (f: number) => (f & CP_DEFINED) !== 0 && (f & (CP_WHITESPACE | CP_LETTER | CP_NUMBER)) === 0;
    let cls: ((f: number) => boolean) | null = null;
    if (f2 & CP_LETTER) cls = (f) => (f & CP_LETTER) !== 0;
    else if (f2 & CP_NUMBER) cls = (f) => (f & CP_NUMBER) !== 0;
    else if (other(f2)) cls = other;
    if (cls) {
      let i = pos + lead;
      while (cls(flags(i))) i++;
      emit(i);
      continue;
    }
    let ws = 0;
    while (flags(pos + ws) & CP_WHITESPACE) ws++;
    if (ws > 1 && pos + ws < end) emit(pos + ws - 1); // \s+(?!\S): leave the last space to the next word
    else if (ws > 0) emit(pos + ws);
    else emit(pos + 1);
  }
};

/**
 * Llama 3 (maxDigits 3) and Qwen2 (maxDigits 1): (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
 * ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 */
function llama3Like(maxDigits: number): Splitter {
  return (cps, start, end, out) => {
    const flags = (i: number) => (i >= start && i < end ? cpFlags(cps[i]) : 0);
    const cpAt = (i: number) => (i >= start && i < end ? cps[i] : -1);
    let pos = start;
    const emit = (to: number) => {
      if (to > pos) out.push(to - pos);
      pos = to;
    };
    while (pos < end) {
      const c = contraction(cps, pos, end, true);
      if (c) {
        emit(pos + c);
        continue;
      }
      const cp = cps[pos];
      const f = flags(pos);
      if (!(cp === CR || cp === LF || f & CP_NUMBER) && (f & CP_LETTER || flags(pos + 1) & CP_LETTER)) {
        let i = pos + 1;
        while (flags(i) & CP_LETTER) i++;
        emit(i);
        continue;
      }
      if (f & CP_NUMBER) {
        let i = pos;
        while (flags(i) & CP_NUMBER) {
          i++;
          if (i - pos >= maxDigits) emit(i);
        }
        emit(i);
        continue;
      }
      const f2 = cp === SPACE ? flags(pos + 1) : f;
      const notWLN = (g: number) => (g & (CP_WHITESPACE | CP_LETTER | CP_NUMBER)) === 0;
      if (notWLN(f2) && f & CP_DEFINED) {
        let i = pos + (cp === SPACE ? 1 : 0);
        let g = f2;
        while (notWLN(g) && g & CP_DEFINED) g = flags(++i);
        while (cpAt(i) === CR || cpAt(i) === LF) i++;
        emit(i);
        continue;
      }
      let ws = 0;
      let lastNewline = 0;
      while (flags(pos + ws) & CP_WHITESPACE) {
        const w = cps[pos + ws];
        if (w === CR || w === LF) lastNewline = pos + ws + 1;
        ws++;
      }
      if (lastNewline > 0) emit(lastNewline); // \s*[\r\n]+
      else if (ws > 1 && pos + ws < end) emit(pos + ws - 1); // \s+(?!\S)
      else if (ws > 0) emit(pos + ws);
      else emit(pos + 1);
    }
  };
}

/** A regex that is one character class, matched as `C` (each char its own piece) or `C+` (runs), gaps kept. */
function classSplit(inClass: (cp: number) => boolean, runs: boolean): Splitter {
  return (cps, start, end, out) => {
    let gap = start;
    let i = start;
    while (i < end) {
      if (!inClass(cps[i])) {
        i++;
        continue;
      }
      if (i > gap) out.push(i - gap);
      let j = i + 1;
      if (runs) while (j < end && inClass(cps[j])) j++;
      out.push(j - i);
      i = gap = j;
    }
    if (end > gap) out.push(end - gap);
  };
}

/** [0-9][0-9][0-9]: leftmost triples of ASCII digits, gaps kept. */
const asciiDigitTriples: Splitter = (cps, start, end, out) => {
  const digit = (i: number) => cps[i] >= 0x30 && cps[i] <= 0x39;
  let gap = start;
  let i = start;
  while (i < end) {
    if (i + 3 <= end && digit(i) && digit(i + 1) && digit(i + 2)) {
      if (i > gap) out.push(i - gap);
      out.push(3);
      i = gap = i + 3;
    } else i++;
  }
  if (end > gap) out.push(end - gap);
};

/**
 * An expression llama.cpp runs through std::regex rather than a scanner (tekken's, gpt-4o's), run as it runs it
 * (unicode.cpp's unicode_regex_split): on a "collapsed" text where each code point past ASCII stands as one char of
 * its class (whitespace 0x0B, letter 0xD2, number 0xD1, anything else 0xD0; ASCII as it is), with \p{L} and \p{N}
 * in the expression standing for their class char and their ASCII range; matches and the gaps between them are pieces.
 */
function collapsedRegexSplit(expr: string): Splitter {
  // (llama.cpp's k_ucat_map: each class's char and its ASCII members; punctuation's excludes $ + < = > ^ ` | ~, the
  // symbols' (measured: llama.cpp 3.21.1 counts ~ a symbol); marks have none)
  const cls: Record<string, string> = { L: '\\xD2A-Za-z', N: '\\xD10-9', P: '\\xD3\\x21-\\x23\\x25-\\x2A\\x2C-\\x2F\\x3A-\\x3B\\x3F-\\x40\\x5B-\\x5D\\x5F\\x7B\\x7D', M: '\\xD4', S: '\\xD5\\x24\\x2B\\x3C-\\x3E\\x5E\\x60\\x7C\\x7E' };
  let src = '';
  let inside = false;
  for (let i = 0; i < expr.length; i++) {
    const ch = expr[i];
    if (ch === '[' && expr[i - 1] !== '\\') inside = true;
    else if (ch === ']' && inside && expr[i - 1] !== '\\') inside = false;
    const m = /^\\p\{([LNPMS])\}/.exec(expr.slice(i));
    if (m) {
      src += inside ? cls[m[1]] : `[${cls[m[1]]}]`;
      i += 4;
    } else src += ch;
  }
  const re = new RegExp(src, 'g');
  const collapse = (cp: number) => {
    if (cp < 128) return String.fromCharCode(cp);
    const f = cpFlags(cp);
    return f & CP_WHITESPACE ? '\x0b' : f & CP_LETTER ? '\xd2' : f & CP_NUMBER ? '\xd1' : f & CP_PUNCT ? '\xd3' : f & CP_MARK ? '\xd4' : f & CP_SYMBOL ? '\xd5' : '\xd0';
  };
  return (cps, start, end, out) => {
    let text = '';
    for (let i = start; i < end; i++) text += collapse(cps[i]);
    re.lastIndex = 0;
    let gap = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      if (m[0].length === 0) {
        re.lastIndex++;
        continue;
      }
      if (m.index > gap) out.push(m.index - gap);
      out.push(m[0].length);
      gap = m.index + m[0].length;
    }
    if (text.length > gap) out.push(text.length - gap);
  };
}

/**
 * An expression with no \p{} class, which llama.cpp runs through std::wregex over the text itself (unicode.cpp), each
 * non-ASCII whitespace code point replaced by 0x0B first; its \s is ASCII whitespace (and that 0x0B) only.
 */
function wideRegexSplit(expr: string): Splitter {
  const ws = String.raw`\t\n\v\f\r `;
  let src = '';
  let inside = false;
  for (let i = 0; i < expr.length; i++) {
    const ch = expr[i];
    if (ch === '\\' && expr[i + 1] === 's') {
      src += inside ? ws : `[${ws}]`;
      i++;
      continue;
    }
    if (ch === '\\') {
      src += ch + expr[++i];
      continue;
    }
    if (ch === '[') inside = true;
    else if (ch === ']') inside = false;
    src += ch;
  }
  const re = new RegExp(src, 'gu');
  return (cps, start, end, out) => {
    let text = '';
    for (let i = start; i < end; i++) text += String.fromCodePoint(cps[i] > 0x7f && cpFlags(cps[i]) & CP_WHITESPACE ? 0x0b : cps[i]);
    re.lastIndex = 0;
    const count = (from: number, to: number) => {
      let n = 0;
      for (let u = from; u < to; u++) if ((text.charCodeAt(u) & 0xfc00) !== 0xdc00) n++;
      return n;
    };
    let gap = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      if (m[0].length === 0) {
        re.lastIndex += text.codePointAt(re.lastIndex)! > 0xffff ? 2 : 1;
        continue;
      }
      if (m.index > gap) out.push(count(gap, m.index));
      out.push(count(m.index, m.index + m[0].length));
      gap = m.index + m[0].length;
    }
    if (text.length > gap) out.push(count(gap, text.length));
  };
}

// llama.cpp's expressions (src/llama-vocab.cpp), written with ASCII case ranges in place of \p{Lu} / \p{Ll} so that
// the collapsed text can run them.
const TEKKEN_RE = String.raw`[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`;
const CONTRACTIONS = String.raw`(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?`;
const GPT4O_RE = String.raw`[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+` + CONTRACTIONS + String.raw`|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*` + CONTRACTIONS + String.raw`|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`;

// seed-coder: Llama 3's with one digit a piece and no newlines after punctuation.
const SEED_CODER_RE = String.raw`(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1}| ?[^\s\p{L}\p{N}\r\n]+|\s*[\r\n]+|\s+(?!\S)|\s+`;
// bailingmoe (Ling): Qwen2's with the contractions' letters grouped and one newline a piece (its possessive
// quantifiers made greedy, as llama.cpp runs it).
const BAILING_RE = String.raw`'(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+`;
// deepseek-v3, hunyuan-dense: an ASCII punctuation mark may lead a word of ASCII letters; letters keep their marks;
// punctuation and symbols run together.
const DEEPSEEK3_RE = String.raw`[!"#$%&'()*+,\-./:;<=>?@\[\\\]^_` + '`' + String.raw`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`;
// viking, poro-chat, bloom, gpt3-finnish: runs of anything but whitespace and a few (ASCII and Asian) punctuation marks, a space before.
const VIKING_RE = String.raw` ?[^(\s|.,!?…。，、।۔،)]+`;

const isNumber = (cp: number) => (cpFlags(cp) & CP_NUMBER) !== 0;
// [\p{P}\$\+<=>\^~\|]: Unicode punctuation plus the ASCII symbols GPT-2's tokenizer treats alike.
const PUNCT_EXTRA = new Set([0x24, 0x2b, 0x3c, 0x3d, 0x3e, 0x5e, 0x7e, 0x7c]);
const isPunctLike = (cp: number) => (cpFlags(cp) & CP_PUNCT) !== 0 || PUNCT_EXTRA.has(cp);
const isPunctLikeFalcon = (cp: number) => isPunctLike(cp) || cp === 0x60; // falcon's class adds the backtick

export interface PreTokenizer {
  /** The name llama.cpp gives this family (for messages). */
  readonly kind: string;
  readonly splitters: readonly Splitter[];
  /** llama.cpp's per-`pre` flags: a whole word found in the vocab is one token; clean-up of spaces at decode. */
  readonly ignoreMerges: boolean;
  readonly cleanSpaces: boolean;
  /** add_bos default when the file does not say. */
  readonly addBos: boolean;
  /** No BOS id unless the file gives one (glm4: llama.cpp's special_bos_id null; the others default to 11). */
  readonly noBos?: boolean;
}

const GPT2 = [gpt2];
const LLAMA3 = [llama3Like(3)];
const QWEN2 = [llama3Like(1)];
const SMOLLM = [classSplit(isNumber, false), gpt2];
const DEFAULT = [classSplit(isPunctLike, true), gpt2, classSplit(isNumber, true), asciiDigitTriples];
const TEKKEN = [collapsedRegexSplit(TEKKEN_RE)];
const GPT4O = [collapsedRegexSplit(GPT4O_RE)];
const FALCON = [classSplit(isPunctLikeFalcon, true), gpt2, asciiDigitTriples];
const SEED_CODER = [collapsedRegexSplit(SEED_CODER_RE)];
// "[\r\n]", "\s?\p{L}+", "\s?\p{P}+", "[一-龥ࠀ-一가-퟿]+", "\p{N}"
const DEEPSEEK_CODER = [wideRegexSplit('[\r\n]'), collapsedRegexSplit(String.raw`\s?\p{L}+`), collapsedRegexSplit(String.raw`\s?\p{P}+`), wideRegexSplit('[一-龥ࠀ-一가-퟿]+'), collapsedRegexSplit(String.raw`\p{N}`)];
const PORO = [wideRegexSplit(VIKING_RE)];
const BAILING = [collapsedRegexSplit(BAILING_RE)];
const DEEPSEEK3 = [collapsedRegexSplit(String.raw`\p{N}{1,3}`), wideRegexSplit('[一-龥぀-ゟ゠-ヿ]+'), collapsedRegexSplit(DEEPSEEK3_RE)];
const VIKING = [wideRegexSplit(VIKING_RE), collapsedRegexSplit(String.raw`\p{N}`)];

function family(kind: string, splitters: Splitter[], names: string[], flags: Partial<PreTokenizer> = {}): [string, PreTokenizer][] {
  const p: PreTokenizer = { kind, splitters, ignoreMerges: false, cleanSpaces: true, addBos: false, ...flags };
  return names.map((n) => [n, p]);
}

/** `tokenizer.ggml.pre` values understood, with llama.cpp's flags for each (src/llama-vocab.cpp). */
const PRE_TOKENIZERS = new Map<string, PreTokenizer>([
  ...family('default', DEFAULT, ['default', '']),
  ...family('gpt2', GPT2, ['gpt-2', 'phi-2', 'mpt', 'olmo', 'jais', 'exaone4', 'a.x-4.0', 'mellum', 'gigachat']),
  ...family('gpt2', GPT2, ['trillion', 'granite-docling'], { cleanSpaces: false }),
  ...family('llama3', LLAMA3, ['llama3', 'llama-v3', 'llama-bpe', 'falcon3', 'falcon-h1', 'pixtral', 'midm-2.0', 'lfm2'], {
    ignoreMerges: true,
    addBos: true,
  }),
  ...family('llama3', LLAMA3, ['dbrx', 'smaug-bpe']),
  ...family('qwen2', QWEN2, ['qwen2', 'deepseek-r1-qwen', 'kormo', 'f2llmv2'], { cleanSpaces: false }),
  ...family('qwen2', QWEN2, ['megrez', 'stablelm2']),
  ...family('qwen2', QWEN2, ['hunyuan', 'grok-2'], { cleanSpaces: false }),
  ...family('chatglm4', LLAMA3, ['glm4', 'chatglm-bpe'], { noBos: true }), // GLM-4
  ...family('falcon', FALCON, ['falcon']),
  ...family('seed-coder', SEED_CODER, ['seed-coder'], { cleanSpaces: false }),
  ...family('deepseek-coder', DEEPSEEK_CODER, ['deepseek-coder'], { cleanSpaces: false }),
  ...family('poro', PORO, ['poro-chat'], { cleanSpaces: false }),
  ...family('poro', PORO, ['bloom', 'gpt3-finnish']), // (BLOOM's: poro's expression, spaces cleaned)
  ...family('viking', VIKING, ['viking'], { cleanSpaces: false }),
  ...family('bailingmoe', BAILING, ['bailingmoe', 'bailingmoe2', 'llada-moe'], { cleanSpaces: false }),
  ...family('deepseek-v3', DEEPSEEK3, ['deepseek-v3', 'hunyuan-dense'], { cleanSpaces: false }),
  ...family('smollm', SMOLLM, ['smollm', 'command-r'], { cleanSpaces: false }),
  ...family('smollm', SMOLLM, ['starcoder', 'refact', 'codeshell', 'exaone', 'minerva-7b']),
  ...family('tekken', TEKKEN, ['tekken'], { cleanSpaces: false, ignoreMerges: true, addBos: true }), // Mistral NeMo / Small 3 / Ministral
  ...family('gpt-4o', GPT4O, ['gpt-4o', 'llama4'], { cleanSpaces: false }), // Phi-4-mini, Llama 4
]);

export function preTokenizer(name: string): PreTokenizer | undefined {
  return PRE_TOKENIZERS.get(name);
}

export const PRE_TOKENIZER_NAMES: readonly string[] = [...PRE_TOKENIZERS.keys()].filter((n) => n !== '');

/** The words of `text` (well-formed: no lone surrogates), in order; they concatenate to `text`. */
export function preTokenize(pre: PreTokenizer, text: string): string[] {
  const cps: number[] = [];
  for (const ch of text) cps.push(ch.codePointAt(0)!);
  let lengths = [cps.length];
  for (const split of pre.splitters) {
    const next: number[] = [];
    let start = 0;
    for (const n of lengths) {
      split(cps, start, start + n, next);
      start += n;
    }
    lengths = next;
  }
  // Code point lengths back to UTF-16 slices of the text.
  const words: string[] = [];
  let cp = 0;
  let u = 0;
  for (const n of lengths) {
    const from = u;
    for (const end = cp + n; cp < end; cp++) u += cps[cp] > 0xffff ? 2 : 1;
    if (u > from) words.push(text.slice(from, u));
  }
  return words;
}
