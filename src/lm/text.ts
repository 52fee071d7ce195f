// Streaming text for generation: token pieces arrive as bytes that may end inside a UTF-8 character, and stop
// strings may arrive split across pieces. Utf8Stream turns bytes into whole characters; StopMatcher holds back text
// that could still turn into a stop string, so what is emitted never has to be taken back.

/**
 * Bytes in, complete characters out. An incomplete sequence at the end of a push is held for the next one; bytes
 * that can never form a character become U+FFFD as soon as that is known (the WHATWG decoder's rule: one U+FFFD per
 * maximal invalid subpart, as TextDecoder and browsers do). A byte-order mark is text like any other, not dropped.
 */
export class Utf8Stream {
  private readonly decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

  push(bytes: Uint8Array): string {
    return this.decoder.decode(bytes, { stream: true });
  }

  /** At the end: whatever is still held (an incomplete sequence) as U+FFFD; the stream can then be reused. */
  flush(): string {
    return this.decoder.decode();
  }
}

/**
 * Finds stop strings in streamed text. push() emits only text that can no longer be part of a stop string; on a
 * match it emits the text before the stop string (the stop string itself is not emitted, as llama.cpp's server does)
 * and reports stopped, after which it emits nothing more. The match is the first stop string to be complete as the
 * text is read (the earliest end; at the same end, the longest), so how the text is cut into pushes never changes
 * the result.
 */
export class StopMatcher {
  private readonly stops: readonly string[];
  private held = '';
  private done = false;
  private matched: string | undefined;

  constructor(stops: readonly string[]) {
    stops.forEach((s, i) => {
      if (typeof s !== 'string' || s.length === 0) {
        throw new TypeError(`StopMatcher: stop string ${i} is ${JSON.stringify(s)}; stop strings must be non-empty`);
      }
    });
    this.stops = [...stops];
  }

  get stopped(): boolean {
    return this.done;
  }

  /** The stop string that matched, once stopped. */
  get stopString(): string | undefined {
    return this.matched;
  }

  push(text: string): { emit: string; stopped: boolean } {
    if (this.done) return { emit: '', stopped: true };
    const t = this.held + text;
    let end = Infinity;
    let start = 0;
    for (const s of this.stops) {
      const i = t.indexOf(s);
      if (i < 0) continue;
      const e = i + s.length;
      if (e < end || (e === end && i < start)) [end, start, this.matched] = [e, i, s];
    }
    if (end !== Infinity) {
      this.done = true;
      this.held = '';
      return { emit: t.slice(0, start), stopped: true };
    }
    // No stop string is complete in t, so none starts before the longest tail of t that is a prefix of one.
    const keep = this.longestPrefixTail(t);
    this.held = t.slice(t.length - keep);
    return { emit: t.slice(0, t.length - keep), stopped: false };
  }

  /** At the end of generation: the text held back (a stop string's beginning that never completed). */
  flush(): string {
    const t = this.held;
    this.held = '';
    return this.done ? '' : t;
  }

  /** The length of the longest suffix of t that is a proper prefix of some stop string. */
  private longestPrefixTail(t: string): number {
    let best = 0;
    for (const s of this.stops) {
      for (let n = Math.min(s.length - 1, t.length); n > best; n--) {
        if (t.endsWith(s.slice(0, n))) {
          best = n;
          break;
        }
      }
    }
    return best;
  }
}
