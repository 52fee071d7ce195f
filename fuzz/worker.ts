// The fuzzing loop in a worker thread, so that main.ts can stop an input that never returns (a hang the loop itself
// cannot time). Writes the index it is on into the shared heartbeat before each input; posts the RunResult at the end.
import { parentPort, workerData } from 'node:worker_threads';
import { fuzzRange } from './engine.js';

const { seed, from, to, deadline, heartbeat } = workerData as { seed: number; from: number; to: number; deadline: number; heartbeat: SharedArrayBuffer };
const beat = new Int32Array(heartbeat);
// performance.now() differs between threads: the deadline comes as a wall-clock time.
const res = await fuzzRange(seed, from, to, performance.now() + (deadline - Date.now()), (i) => Atomics.store(beat, 0, i));
parentPort!.postMessage(res);
