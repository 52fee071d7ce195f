// Loading the bundled data: the gzip layer lives here, the parsing in src/data (pure).
//   Node:    loadDigitsFile(path) reads the file and gunzips it with node:zlib.
//   Browser: loadDigitsUrl(url) fetches it and gunzips it with DecompressionStream.
import { parseDigitsCsv, type DigitsData } from '../src/data/digits.js';

/** The bundled copy, relative to the package root. */
export const DIGITS_PATH = 'demo/public/data/digits.csv.gz';

/** Node: gunzip a file with node:zlib and parse it. The import is dynamic so a browser bundle never pulls node:*. */
export async function loadDigitsFile(path: string = DIGITS_PATH): Promise<DigitsData> {
  const [{ readFile }, { gunzipSync }] = await Promise.all([import('node:fs/promises'), import('node:zlib')]);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new Error(`digits data: cannot read ${path}: ${(e as Error).message}`);
  }
  let text: string;
  try {
    text = gunzipSync(bytes).toString('utf8');
  } catch (e) {
    throw new Error(`digits data: ${path} is not valid gzip: ${(e as Error).message}`);
  }
  return parseDigitsCsv(text);
}

/** Browser (or any runtime with fetch and DecompressionStream): fetch a .csv.gz, gunzip it, parse it. */
export async function loadDigitsUrl(url: string): Promise<DigitsData> {
  const res = await fetch(url);
  if (!res.ok || !res.body) throw new Error(`digits data: GET ${url} answered ${res.status} ${res.statusText}`);
  const text = await new Response(res.body.pipeThrough(new DecompressionStream('gzip'))).text();
  return parseDigitsCsv(text);
}
