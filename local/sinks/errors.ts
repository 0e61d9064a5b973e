/** Errors of the operator tools (rebuild, redrive); the CLIs map them to exit status 2. */

/** Bad command-line input or configuration: the message says what to pass instead. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A tool stopped because something it relies on is not as expected. */
export class ToolError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
