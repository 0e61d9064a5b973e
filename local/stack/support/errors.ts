/**
 * The one error the stack throws on purpose: its message says what is wrong and what to
 * do (which tool is missing, which log file to read, which port variable to change).
 * The CLI prints the message alone, without a stack trace.
 */
export class StackError extends Error {
  override readonly name = 'StackError';
  readonly service: string | undefined;
  readonly logFile: string | undefined;

  constructor(
    message: string,
    options: { service?: string; logFile?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.service = options.service;
    this.logFile = options.logFile;
  }
}
