import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MskBatchResponse } from '../../../functions/core/msk-event.js';
import {
  bundleDirectory,
  debeziumEvent,
  expectLanded,
  expectRelayed,
  type FunctionName,
  localSdkVariables,
  PROCESSORS,
  SINKS,
  stack,
  streamEvent,
  TOPIC,
  templateEnvironment,
  useDeployedStage,
} from './deployed-stage.js';

// Issue 16 item 9: the exact bundles CDK writes to its asset output directory (what
// `cdk deploy` uploads), each imported in a fresh Node process whose environment is what
// Lambda gives a function — its reserved variables ("Defined runtime environment
// variables", AWS Lambda developer guide,
// https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime)
// plus the template's variables (references mapped onto the local stack) — and nothing of
// the test's own process, except PATH and the SDK's AWS_ENDPOINT_URL_* redirection to the
// local emulators.
const { stores, synth } = useDeployedStage(true);

const RESULT = '@@staysync-result@@';

/** Loads `<dir>/index.mjs` as Lambda's Node runtime would (`_HANDLER=index.handler`) and invokes it once. */
const INVOKER = `
const [dir, handlerSpec] = [process.env.LAMBDA_TASK_ROOT, process.env._HANDLER];
const [file, name] = handlerSpec.split('.');
const { pathToFileURL } = await import('node:url');
const mod = await import(pathToFileURL(dir + '/' + file + '.mjs').href);
let input = '';
for await (const chunk of process.stdin) input += chunk;
const deadline = Date.now() + 60000;
const context = {
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
  awsRequestId: 'req-1',
  logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
  getRemainingTimeInMillis: () => deadline - Date.now(),
};
const result = await mod[name](JSON.parse(input), context);
// An async handler's invocation ends when its promise settles (Lambda then freezes the
// process with its connections open, e.g. the relay's producer): end the process here.
process.stdout.write('\\n${RESULT}' + JSON.stringify(result) + '\\n', () => process.exit(0));
`;

const readable = (text: string): string =>
  text
    .split('\n')
    .filter((l) => l.length < 400)
    .join('\n');

async function invokeBundle(
  fn: FunctionName,
  event: unknown,
): Promise<{ result: unknown; stderr: string }> {
  const dir = bundleDirectory(synth(), fn);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    LAMBDA_TASK_ROOT: dir,
    LAMBDA_RUNTIME_DIR: '/var/runtime',
    _HANDLER: 'index.handler',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_LAMBDA_FUNCTION_NAME: `staysync-parity-${fn}`,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/staysync-parity-${fn}`,
    AWS_LAMBDA_LOG_STREAM_NAME: '2026/11/26/[$LATEST]0123456789abcdef',
    AWS_REGION: stack.awsRegion,
    AWS_DEFAULT_REGION: stack.awsRegion,
    AWS_SESSION_TOKEN: 'local',
    ...localSdkVariables(),
    ...stores.localize(synth(), templateEnvironment(synth(), fn)),
  };
  const child = spawn(process.execPath, ['--input-type=module', '-e', INVOKER], {
    cwd: dir,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdin.end(JSON.stringify(event));
  // A bundle that never returns fails with its output instead of hanging the test.
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  const line = stdout.split('\n').find((l) => l.startsWith(RESULT));
  if (code !== 0 || line === undefined)
    // Minified source lines in a stack trace say nothing; keep the readable ones.
    throw new Error(
      `bundle of ${fn} exited ${code}:\n${readable(stderr)}\n${readable(stdout.slice(-4000))}`,
    );
  return { result: JSON.parse(line.slice(RESULT.length)), stderr };
}

describe('the bundles CDK ships, each in a fresh Node process with a Lambda environment', () => {
  it('writes one index.mjs bundle per function, with its source map', () => {
    for (const fn of [...SINKS, ...PROCESSORS, 'relay', 'topicProvisioner'] as const) {
      const dir = bundleDirectory(synth(), fn);
      expect(existsSync(path.join(dir, 'index.mjs')), dir).toBe(true);
      expect(existsSync(path.join(dir, 'index.mjs.map')), dir).toBe(true);
    }
  });

  it.each(SINKS)('%s: the bundle applies an MSK event on the local stack', async (sink) => {
    const { result } = await invokeBundle(sink, debeziumEvent());
    await expectLanded(sink, stores, result as { batchItemFailures: [] });
  });

  it('claims: the bundle decides two claims of one value and publishes the decisions', async () => {
    const { result } = await invokeBundle('claims', stores.processors.claimsEvent());
    await stores.processors.expectClaimsDecided(result as MskBatchResponse);
  });

  it('transfers: the bundle debits, emits the credit step to its topic, then applies it', async () => {
    const debits = await invokeBundle('transfers', await stores.processors.transfersEvent());
    const credit = await stores.processors.expectDebited(debits.result as MskBatchResponse);
    const credited = await invokeBundle('transfers', credit);
    await stores.processors.expectCredited(credited.result as MskBatchResponse);
  });

  it('relay: the bundle publishes a DynamoDB stream event to its topic', async () => {
    const { result } = await invokeBundle('relay', streamEvent());
    await expectRelayed(stores, result);
  });

  it('topic provisioner: the bundle answers CloudFormation for the template topic resource', async () => {
    const bodies: string[] = [];
    const server: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => {
        body += d.toString();
      });
      req.on('end', () => {
        bodies.push(body);
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const topicResource = (
        Object.values(synth().template.findResources('Custom::StaysyncKafkaTopic')) as {
          Properties: Record<string, unknown>;
        }[]
      ).find((r) => r.Properties.TopicName === TOPIC);
      // A Delete of a retained topic: the provisioner reads the template's properties and
      // answers without touching Kafka (the local stack has no MSK IAM listener).
      const { result } = await invokeBundle('topicProvisioner', {
        RequestType: 'Delete',
        ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:provisioner',
        ResponseURL: `http://127.0.0.1:${port}/response`,
        StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/staysync-parity/1',
        RequestId: 'req-1',
        LogicalResourceId: 'Topic',
        PhysicalResourceId: `kafka-topic:${TOPIC}`,
        ResourceType: 'Custom::StaysyncKafkaTopic',
        ResourceProperties: { ...topicResource?.Properties, ClusterArn: 'arn:local' },
      });
      expect(result).toMatchObject({
        Status: 'SUCCESS',
        PhysicalResourceId: `kafka-topic:${TOPIC}`,
        Data: { TopicName: TOPIC, Outcome: 'retained' },
      });
      expect(JSON.parse(bodies[0] ?? '{}')).toMatchObject({ Status: 'SUCCESS' });
    } finally {
      server.close();
    }
  });
});
