// The `nibble` command line. Each command lives in runtime/cli/<name>.ts and is listed here once.
import { benchCommand } from './cli/bench.js';
import { infoCommand } from './cli/info.js';
import { trainCommand } from './cli/train.js';
import { kernelCommand } from './cli/kernel.js';
import { selftestCommand } from './cli/selftest.js';
import { ggufCommand } from './cli/gguf.js';
import { generateCommand } from './cli/generate.js';
import { chatCommand } from './cli/chat.js';
import { evalCommand } from './cli/eval.js';
import { tokenizeCommand } from './cli/tokenize.js';
import { lmCommand } from './cli/lm_train.js';
import type { Command } from './cli/command.js';

export const COMMANDS: Record<string, Command> = {
  info: infoCommand,
  bench: benchCommand,
  train: trainCommand,
  kernel: kernelCommand,
  selftest: selftestCommand,
  gguf: ggufCommand,
  generate: generateCommand,
  chat: chatCommand,
  eval: evalCommand,
  tokenize: tokenizeCommand,
  lm: lmCommand,
};

function usage(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return `nibble: WebGPU compute for quantized neural networks\n\nusage: nibble <command> [options]\n\n${Object.entries(COMMANDS)
    .map(([k, c]) => `  ${k.padEnd(w)}  ${c.summary}`)
    .join('\n')}\n\nnibble <command> --help for a command's options.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 1;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    console.error(`nibble: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(`nibble ${name}: ${cmd.summary}\n\n${cmd.help}`);
    return 0;
  }
  return cmd.run(rest);
}
