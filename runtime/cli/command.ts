export interface Command {
  summary: string;
  help: string;
  /** Returns the process exit code. Bad input: print a clear message to stderr and return 2. */
  run(argv: string[]): Promise<number>;
}

/** An error whose message is for the user (no stack trace), exit code 2. */
export class UsageError extends Error {}
