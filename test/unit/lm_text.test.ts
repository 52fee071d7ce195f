// Streaming text: UTF-8 bytes split at every boundary give whole characters as soon as they are complete (checked
// against the code points' own byte ranges, not against a decoder), invalid bytes become U+FFFD by the WHATWG
// rule, and stop strings are found across pushes, never emitting what might have to be taken back.
import { describe, expect, it } from 'vitest';
import { StopMatcher, Utf8Stream } from '../../src/lm/text.js';

const enc = (s: string) => new TextEncoder().encode(s);
const bytes = (...b: number[]) => Uint8Array.from(b);
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const SAMPLES = ['é', '日本語', '😀', '👨‍👩‍👧', 'a\u00e9\u65e5\u{1f600}b', 'x👩🏽‍💻y ok', '\ufeffBOM', 'Ünïcödé ÷ 𝔘'];

/** What a push of the first k bytes must have emitted in all: the code points whose bytes are all in. */
function completeUpTo(s: string, k: number): string {
  let out = '';
  let at = 0;
  for (const ch of s) {
    at += enc(ch).length;
    if (at > k) break;
    out += ch;
  }
  return out;
}

describe('Utf8Stream', () => {
  it('byte by byte: each push emits exactly the characters it completes', () => {
    for (const s of SAMPLES) {
      const b = enc(s);
      const u = new Utf8Stream();
      let got = '';
      for (let k = 1; k <= b.length; k++) {
        got += u.push(b.subarray(k - 1, k));
        expect(got, `${s} after ${k} bytes`).toBe(completeUpTo(s, k));
      }
      expect(u.flush()).toBe('');
      expect(got).toBe(s);
    }
  });
  it('every pair of cut points gives the same text, each piece well-formed', () => {
    for (const s of SAMPLES) {
      const b = enc(s);
      for (let i = 0; i <= b.length; i++) {
        for (let j = i; j <= b.length; j++) {
          const u = new Utf8Stream();
          const parts = [u.push(b.subarray(0, i)), u.push(b.subarray(i, j)), u.push(b.subarray(j)), u.flush()];
          expect(parts.join(''), `${s} cut at ${i}, ${j}`).toBe(s);
          expect(parts[0]).toBe(completeUpTo(s, i));
          // No piece ends in half a surrogate pair (a split emoji).
          for (const p of parts) expect(LONE_SURROGATE.test(p), `${s} cut at ${i}, ${j}`).toBe(false);
        }
      }
    }
  });
  it('invalid bytes become U+FFFD (one per maximal invalid subpart), incomplete tails only at flush', () => {
    const F = '\ufffd';
    const dec = (...pushes: Uint8Array[]) => {
      const u = new Utf8Stream();
      return pushes.map((p) => u.push(p)).concat(u.flush());
    };
    expect(dec(bytes(0x61, 0xff, 0x62))).toEqual([`a${F}b`, '']);
    expect(dec(bytes(0x80))).toEqual([F, '']); // a lone continuation byte
    expect(dec(bytes(0xe6, 0x97, 0x41))).toEqual([`${F}A`, '']); // a 3-byte lead with one continuation, then ASCII
    expect(dec(bytes(0xe6, 0x97))).toEqual(['', F]); // held, then one U+FFFD at the end
    expect(dec(bytes(0xf0, 0x9f), bytes(0x41))).toEqual(['', `${F}A`, '']); // known bad only when the A arrives
    expect(dec(bytes(0xc0, 0x80))).toEqual([F + F, '']); // overlong
    expect(dec(bytes(0xed, 0xa0, 0x80))).toEqual([F + F + F, '']); // an encoded surrogate
    expect(dec(bytes(0xf4, 0x90, 0x80, 0x80))).toEqual([F + F + F + F, '']); // past U+10FFFF
    expect(dec(bytes(0xef, 0xbb, 0xbf, 0x41))).toEqual(['\ufeffA', '']); // a BOM is kept
    // After a flush the stream starts clean.
    const u = new Utf8Stream();
    expect(u.push(bytes(0xe6))).toBe('');
    expect(u.flush()).toBe(F);
    expect(u.push(enc('日'))).toBe('日');
  });
});

/** Pushes the pieces; returns what was emitted at each push, the flush, and whether it stopped. */
function run(stops: string[], pieces: string[]) {
  const m = new StopMatcher(stops);
  const emits: string[] = [];
  let stopped = false;
  for (const p of pieces) {
    const r = m.push(p);
    emits.push(r.emit);
    stopped = r.stopped;
  }
  return { emits, flush: m.flush(), stopped, m };
}

/** All ways to cut s into up to three pieces (at code point boundaries). */
function* cuts(s: string): Generator<string[]> {
  const cp = [...s];
  for (let i = 0; i <= cp.length; i++) {
    for (let j = i; j <= cp.length; j++) yield [cp.slice(0, i).join(''), cp.slice(i, j).join(''), cp.slice(j).join('')];
  }
}

describe('StopMatcher', () => {
  it('holds back a possible stop string across pushes and drops the stop string itself', () => {
    const r = run(['</s>'], ['Hello </', 's> more']);
    expect(r.emits).toEqual(['Hello ', '']);
    expect(r.stopped).toBe(true);
    expect(r.flush).toBe('');
    expect(r.m.stopString).toBe('</s>');
    // A false start is released as soon as it cannot match.
    expect(run(['</s>'], ['a</', 'b', 'c']).emits).toEqual(['a', '</b', 'c']);
    // Text that cannot begin a stop string is not held at all.
    expect(run(['xyz'], ['abc', 'dx', 'yw']).emits).toEqual(['abc', 'd', 'xyw']);
  });
  it('every cut of the text gives the same result, and what is emitted is never taken back', () => {
    const cases: [string[], string, string, boolean][] = [
      // stops, text, expected output, stopped
      [['</s>'], 'Hello </b> world</s> tail', 'Hello </b> world', true],
      [['<|im_end|>', '<|endoftext|>'], 'Sure.<|im_e<|endoftext|>', 'Sure.<|im_e', true],
      [['日本'], '今日は日本です', '今日は', true],
      [['😀'], 'a😀b', 'a', true],
      [['aab'], 'aaab', 'a', true],
      [['abcd', 'bc'], 'xabcd', 'xa', true], // "bc" is complete first
      [['ab', 'abc'], 'zabc', 'z', true],
      [['xbc', 'bc'], 'axbc', 'a', true], // both end together: the longer one
      [['\n\n', 'User:'], 'one\ntwo\nUser', 'one\ntwo\nUser', false],
      [['STOP'], 'no stop here, ST', 'no stop here, ST', false],
      [[], 'anything', 'anything', false],
    ];
    for (const [stops, text, want, wantStopped] of cases) {
      for (const pieces of cuts(text)) {
        const m = new StopMatcher(stops);
        let out = '';
        let stopped = false;
        for (const p of pieces) {
          const r = m.push(p);
          out += r.emit;
          stopped = r.stopped;
          expect(want.startsWith(out), `${JSON.stringify(pieces)}: emitted ${JSON.stringify(out)}`).toBe(true);
        }
        out += m.flush();
        expect(out, JSON.stringify(pieces)).toBe(want);
        expect(stopped, JSON.stringify(pieces)).toBe(wantStopped);
      }
    }
  });
  it('one character at a time, a partial stop string is held exactly as long as it could still match', () => {
    const r = run(['aab'], [...'aaab']);
    expect(r.emits).toEqual(['', '', 'a', '']);
    expect(r.stopped).toBe(true);
    const h = run(['<|im_end|>'], [...'x<|im_', 'q']);
    expect(h.emits.join('')).toBe('x<|im_q');
    expect(h.emits.slice(1, 6)).toEqual(['', '', '', '', '']);
  });
  it('after a stop it emits nothing; without one, flush gives the held tail', () => {
    const m = new StopMatcher(['END']);
    expect(m.push('abEN')).toEqual({ emit: 'ab', stopped: false });
    expect(m.push('Dxyz')).toEqual({ emit: '', stopped: true });
    expect(m.push('more')).toEqual({ emit: '', stopped: true });
    expect(m.flush()).toBe('');
    const n = new StopMatcher(['END']);
    expect(n.push('abEN')).toEqual({ emit: 'ab', stopped: false });
    expect(n.flush()).toBe('EN');
    expect(n.stopped).toBe(false);
  });
  it('refuses an empty stop string by index', () => {
    expect(() => new StopMatcher(['ok', ''])).toThrow('stop string 1 is ""; stop strings must be non-empty');
  });
  it('bytes through Utf8Stream then StopMatcher: every byte cut gives the text before the stop', () => {
    const text = 'Voilà 日本語 👨‍👩‍👧 fin<|eot_id|>ignored';
    const b = enc(text);
    for (let i = 0; i <= b.length; i++) {
      const u = new Utf8Stream();
      const m = new StopMatcher(['<|eot_id|>']);
      let out = '';
      for (const part of [b.subarray(0, i), b.subarray(i)]) out += m.push(u.push(part)).emit;
      out += m.push(u.flush()).emit + m.flush();
      expect(out, `cut at byte ${i}`).toBe('Voilà 日本語 👨‍👩‍👧 fin');
    }
  });
});
