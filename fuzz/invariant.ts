// What the targets assert about an input they accepted.

/** An accepted input that breaks what the parser promises (a tensor outside the file, a key lost). */
export class InvariantError extends Error {
  override name = 'InvariantError';
}

export function assert(ok: boolean, m: string): void {
  if (!ok) throw new InvariantError(m);
}
