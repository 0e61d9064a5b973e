/**
 * The environment an operator tool runs a sink with: the shell's, then an env file (each
 * `npm start` run writes one under .local/runs/), then — against a deployed stage — the
 * function's own variables from Lambda `GetFunctionConfiguration` (`--function-name`), so
 * the tool uses exactly the tables, index prefix, buckets and pipeline the function uses.
 * Needs `lambda:GetFunctionConfiguration` on that function.
 */
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { readEnvFile } from '../stack/env-file.js';
import { ToolError } from './errors.js';

export interface ToolEnvInput {
  readonly base: NodeJS.ProcessEnv;
  readonly envFile?: string;
  readonly functionName?: string;
  /** control-plane client. @default new LambdaClient({ region from base }) */
  readonly lambda?: Pick<LambdaClient, 'send'>;
}

export async function toolEnv(input: ToolEnvInput): Promise<NodeJS.ProcessEnv> {
  const env: NodeJS.ProcessEnv = {
    ...input.base,
    ...(input.envFile === undefined ? {} : readEnvFile(input.envFile)),
  };
  if (input.functionName === undefined) return env;
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const lambda = input.lambda ?? new LambdaClient(region === undefined ? {} : { region });
  let variables: Record<string, string> | undefined;
  try {
    const config = await lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: input.functionName }),
    );
    variables = config.Environment?.Variables;
  } catch (err) {
    throw new ToolError(
      `GetFunctionConfiguration ${input.functionName} failed (needs lambda:GetFunctionConfiguration): ${(err as Error).message}`,
      { cause: err },
    );
  }
  if (variables === undefined) {
    throw new ToolError(`function ${input.functionName} has no environment variables`);
  }
  return { ...env, ...variables };
}
