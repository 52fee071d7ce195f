#!/usr/bin/env node
// Entry of the `nibble` command: runs the compiled CLI (npm install / npm run build produce dist/).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../dist/runtime/cli.js', import.meta.url));
if (!existsSync(cli)) {
  console.error(`nibble: ${cli} is missing. Run 'npm install' (or 'npm run build') in the nibble folder first.`);
  process.exit(1);
}
const { main } = await import(cli);
let code;
try {
  code = await main(process.argv.slice(2));
} catch (e) {
  const { UsageError } = await import(fileURLToPath(new URL('../dist/runtime/cli/command.js', import.meta.url)));
  if (e instanceof UsageError) {
    console.error(`nibble: ${e.message}`);
    code = 2;
  } else {
    console.error(e?.stack ?? String(e));
    code = 1;
  }
}
// Dawn keeps the event loop alive; leave explicitly once the command is done.
process.exit(code ?? 0);
