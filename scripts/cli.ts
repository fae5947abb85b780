// Command-line options for the eval scripts and the bench: Node's util.parseArgs, strict (an unknown flag or a stray word is
// an error, not a silently ignored setting), plus --help. Defaults stay with the scripts that use them.
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/** The options of this process's command line; --help, or a command line it cannot read, prints `usage` and exits. */
export function readOptions<const O extends Options>(usage: string, options: O) {
  const config = { args: process.argv.slice(2), options, strict: true, allowPositionals: false } as const;
  if (process.argv.includes('--help')) {
    console.log(usage);
    process.exit(0);
  }
  try {
    return parseArgs(config).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    process.exit(2);
  }
}
