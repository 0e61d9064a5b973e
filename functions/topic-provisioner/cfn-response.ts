import * as http from 'node:http';
import * as https from 'node:https';

/** The CloudFormation custom resource request (the fields this provisioner uses). */
export interface CfnRequest {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly ResourceType: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: Readonly<Record<string, unknown>>;
  readonly OldResourceProperties?: Readonly<Record<string, unknown>>;
}

/** The response body CloudFormation expects at ResponseURL. */
export interface CfnResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly Reason?: string;
  readonly PhysicalResourceId: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly NoEcho: false;
  readonly Data?: Readonly<Record<string, string>>;
}

// CloudFormation rejects a response body over 4096 bytes; keep the reason well below,
// counted in UTF-8 bytes (a reason quoting non-ASCII input is up to 3 bytes a character).
const MAX_REASON_BYTES = 2000;

/** `reason` cut to at most `maxBytes` UTF-8 bytes, whole code points only, with "..." when cut. */
export function truncateUtf8(reason: string, maxBytes: number): string {
  if (Buffer.byteLength(reason, 'utf8') <= maxBytes) return reason;
  const budget = maxBytes - 3;
  let bytes = 0;
  let end = 0;
  for (const char of reason) {
    const size = Buffer.byteLength(char, 'utf8');
    if (bytes + size > budget) break;
    bytes += size;
    end += char.length;
  }
  return `${reason.slice(0, end)}...`;
}

export function successResponse(
  req: CfnRequest,
  physicalId: string,
  data: Readonly<Record<string, string>>,
): CfnResponse {
  return {
    Status: 'SUCCESS',
    PhysicalResourceId: physicalId,
    StackId: req.StackId,
    RequestId: req.RequestId,
    LogicalResourceId: req.LogicalResourceId,
    NoEcho: false,
    Data: data,
  };
}

export function failureResponse(req: CfnRequest, physicalId: string, reason: string): CfnResponse {
  return {
    Status: 'FAILED',
    Reason: truncateUtf8(reason, MAX_REASON_BYTES),
    PhysicalResourceId: physicalId,
    StackId: req.StackId,
    RequestId: req.RequestId,
    LogicalResourceId: req.LogicalResourceId,
    NoEcho: false,
  };
}

/**
 * PUTs the response to the pre-signed ResponseURL. The content type is empty on purpose:
 * the URL is signed without one, and a type would break the signature. Retries a few
 * times, because a lost response leaves the stack waiting for an hour. `sleep` waits between
 * attempts (tests inject one that returns at once).
 */
export async function sendResponse(
  url: string,
  body: CfnResponse,
  attempts = 3,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<void> {
  const payload = JSON.stringify(body);
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      await put(url, payload);
      return;
    } catch (err) {
      lastError = err;
      if (attempt < attempts) await sleep(200 * 2 ** attempt);
    }
  }
  throw new Error(`could not deliver the CloudFormation response after ${attempts} attempts`, {
    cause: lastError,
  });
}

function put(url: string, payload: string): Promise<void> {
  const target = new URL(url);
  const transport = target.protocol === 'http:' ? http : https;
  return new Promise((resolve, reject) => {
    const req = transport.request(
      target,
      {
        method: 'PUT',
        headers: { 'content-type': '', 'content-length': Buffer.byteLength(payload) },
        timeout: 10_000,
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else reject(new Error(`ResponseURL answered HTTP ${status}`));
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('ResponseURL request timed out')));
    req.on('error', reject);
    req.end(payload);
  });
}
