import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { ToolError, UsageError } from '../../../../local/sinks/errors.js';
import { parseSinkKind } from '../../../../local/sinks/handlers.js';
import { toolEnv } from '../../../../local/sinks/tool-env.js';

describe('toolEnv --function-name (mocked Lambda control plane)', () => {
  it("takes the deployed function's variables from GetFunctionConfiguration, over the shell's", async () => {
    const lambda = mockClient(LambdaClient);
    lambda
      .on(GetFunctionConfigurationCommand, { FunctionName: 'prod-sink-opensearch' })
      .resolves({ Environment: { Variables: { INDEX_PREFIX: 'prod', SINK_NAME: 'opensearch' } } });
    const env = await toolEnv({
      base: { AWS_REGION: 'eu-west-1', INDEX_PREFIX: 'local' },
      functionName: 'prod-sink-opensearch',
      lambda: new LambdaClient({ region: 'eu-west-1' }),
    });
    expect(env).toMatchObject({
      AWS_REGION: 'eu-west-1',
      INDEX_PREFIX: 'prod',
      SINK_NAME: 'opensearch',
    });
    lambda.restore();
  });

  it('names the missing permission when the call fails', async () => {
    const lambda = mockClient(LambdaClient);
    lambda.on(GetFunctionConfigurationCommand).rejects(new Error('AccessDeniedException'));
    const call = toolEnv({
      base: {},
      functionName: 'f',
      lambda: new LambdaClient({ region: 'eu-west-1' }),
    });
    await expect(call).rejects.toThrow(ToolError);
    await expect(call).rejects.toThrow(/lambda:GetFunctionConfiguration/);
    lambda.restore();
  });
});

describe('parseSinkKind', () => {
  it('accepts the three sinks and explains anything else', () => {
    expect(parseSinkKind('dynamodb')).toBe('dynamodb');
    expect(() => parseSinkKind(undefined)).toThrow(UsageError);
    expect(() => parseSinkKind('view')).toThrow(
      /--sink must be one of opensearch, dynamodb, s3-archive, got view/,
    );
  });
});
