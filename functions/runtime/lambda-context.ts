/**
 * The part of the Lambda context object staysync's handlers use: the remaining time (retry
 * budgets stay inside it) and the log stream (named in CloudFormation replies). Tests and
 * the local emulator pass a plain object, or none.
 */
export interface LambdaContextLike {
  getRemainingTimeInMillis?(): number;
  readonly logStreamName?: string;
}
