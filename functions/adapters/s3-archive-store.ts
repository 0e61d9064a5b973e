/**
 * Raw S3 I/O of the archive: conditional create, HEAD, listing. No archive logic here
 * (that is in s3-archive-sink.ts and functions/core/archive/); SDK failures become
 * staysync errors at this boundary.
 */
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  ARCHIVE_CONTENT_ENCODING,
  ARCHIVE_CONTENT_TYPE,
  type ArchiveRange,
  decodeArchiveObject,
  rangeFromMetadata,
  rangeOfRecords,
} from '../core/archive/object.js';
import {
  type ErrorContext,
  PoisonError,
  RetriableError,
  type StaysyncError,
} from '../core/errors.js';
import { errorName, httpStatus, toStaysyncError } from './aws-errors.js';

export type PutResult = 'created' | 'exists';

/** The operations the archive sink needs from an object store. */
export interface ArchiveObjectStore {
  /**
   * Creates the object only if no object has that key (`If-None-Match: *`).
   * Resolves `exists` when one already does. Throws a retriable {@link StaysyncError} for
   * throttling/5xx/timeouts, a `PoisonError` (`s3-write-rejected`) when S3 refuses the
   * object (other 4xx), and a non-retriable `StaysyncError` for a broken setup (access,
   * bucket, credentials, KMS).
   */
  putIfAbsent(
    key: string,
    body: Uint8Array,
    metadata: Readonly<Record<string, string>>,
  ): Promise<PutResult>;
  /**
   * The offsets an existing object covers (from its metadata; from its content when the
   * metadata is missing). Null when there is no such object.
   */
  inspect(key: string): Promise<ArchiveRange | null>;
  /** Keys under `prefix` after `startAfter`, ascending, lazily paged. */
  listKeys(prefix: string, startAfter?: string): AsyncIterable<string>;
  /** Common prefixes ("folders") directly under `prefix`, e.g. the `dt=` folders of a topic. */
  listFolders(prefix: string): Promise<string[]>;
}

/**
 * 4xx answers that mean the deployment is broken (credentials, permissions, bucket, KMS
 * key), not that this object is unacceptable: they fail the invocation loudly instead of
 * sending every record to quarantine.
 */
const SETUP_ERRORS = new Set([
  'AccessDenied',
  'AllAccessDisabled',
  'AccountProblem',
  'InvalidAccessKeyId',
  'InvalidToken',
  'ExpiredToken',
  'TokenRefreshRequired',
  'SignatureDoesNotMatch',
  'NoSuchBucket',
  'InvalidBucketName',
  'PermanentRedirect',
  'AuthorizationHeaderMalformed',
  'CredentialsProviderError',
  // the key itself is too long: a configuration problem (prefix/topic), not this batch's
  'KeyTooLongError',
]);

/**
 * 4xx answers about the bytes in transit (a body cut short or corrupted on the way): the
 * same request sent again succeeds, so they are retried rather than quarantined.
 */
const TRANSIENT_REJECTIONS = new Set(['BadDigest', 'IncompleteBody', 'XAmzContentSHA256Mismatch']);

export function isSetupError(err: unknown): boolean {
  const name = errorName(err);
  const status = httpStatus(err);
  return (
    SETUP_ERRORS.has(name) ||
    name.startsWith('KMS.') ||
    status === 401 ||
    status === 403 ||
    status === 301
  );
}

/** 409 ConditionalRequestConflict: a concurrent conditional write of the same key is in flight. */
const CONFLICT_ATTEMPTS = 5;

export class S3ArchiveStore implements ArchiveObjectStore {
  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
    private readonly context: ErrorContext = {},
    private readonly sleep: (ms: number) => Promise<void> = (ms) =>
      new Promise((r) => setTimeout(r, ms)),
  ) {}

  async putIfAbsent(
    key: string,
    body: Uint8Array,
    metadata: Readonly<Record<string, string>>,
  ): Promise<PutResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: key,
            Body: body,
            ContentLength: body.byteLength,
            IfNoneMatch: '*',
            ContentType: ARCHIVE_CONTENT_TYPE,
            ContentEncoding: ARCHIVE_CONTENT_ENCODING,
            Metadata: { ...metadata },
          }),
        );
        return 'created';
      } catch (err) {
        const status = httpStatus(err);
        const name = errorName(err);
        if (status === 412 || name === 'PreconditionFailed') return 'exists';
        // S3 answers 409 when another conditional write of this key is in progress; the
        // retry then sees the winner (412) or wins.
        if (status === 409 || name === 'ConditionalRequestConflict') {
          if (attempt < CONFLICT_ATTEMPTS) {
            await this.sleep(20 * attempt);
            continue;
          }
          throw new RetriableError(`S3 PutObject ${key}: conditional write conflict persisted`, {
            context: this.context,
            cause: err,
          });
        }
        const mapped = toStaysyncError(
          err,
          `S3 PutObject s3://${this.bucket}/${key}`,
          this.context,
        );
        // Only an answer from S3 (a 4xx) says the object itself is rejected; an error with
        // no HTTP status is the client's or the process's (an abort, a bug) and must fail the
        // invocation, never quarantine records.
        const answeredByS3 = status !== undefined && status >= 400 && status < 500;
        if (mapped.retriable || isSetupError(err) || !answeredByS3) throw mapped;
        if (TRANSIENT_REJECTIONS.has(name)) {
          throw new RetriableError(mapped.message, { context: this.context, cause: err });
        }
        throw new PoisonError('s3-write-rejected', mapped.message, {
          context: this.context,
          cause: err,
        });
      }
    }
  }

  async inspect(key: string): Promise<ArchiveRange | null> {
    let metadata: Record<string, string> | undefined;
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      metadata = head.Metadata;
    } catch (err) {
      if (httpStatus(err) === 404 || errorName(err) === 'NotFound') return null;
      throw toStaysyncError(err, `S3 HeadObject s3://${this.bucket}/${key}`, this.context);
    }
    const declared = rangeFromMetadata(metadata);
    if (declared !== null) return declared;
    // An object without our metadata (written by hand or another tool): trust its lines.
    try {
      const got = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const bytes =
        got.Body === undefined ? new Uint8Array() : await got.Body.transformToByteArray();
      return rangeOfRecords(await decodeArchiveObject(bytes));
    } catch (err) {
      if (httpStatus(err) === 404 || errorName(err) === 'NoSuchKey') return null;
      throw toStaysyncError(err, `S3 GetObject s3://${this.bucket}/${key}`, this.context);
    }
  }

  async *listKeys(prefix: string, startAfter?: string): AsyncIterable<string> {
    let token: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ...(token === undefined && startAfter !== undefined ? { StartAfter: startAfter } : {}),
            ...(token === undefined ? {} : { ContinuationToken: token }),
          }),
        );
      } catch (err) {
        throw toStaysyncError(err, `S3 ListObjectsV2 s3://${this.bucket}/${prefix}`, this.context);
      }
      for (const obj of page.Contents ?? []) if (obj.Key !== undefined) yield obj.Key;
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  async listFolders(prefix: string): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
      try {
        const page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            Delimiter: '/',
            ...(token === undefined ? {} : { ContinuationToken: token }),
          }),
        );
        for (const p of page.CommonPrefixes ?? []) if (p.Prefix !== undefined) out.push(p.Prefix);
        token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
      } catch (err) {
        throw toStaysyncError(err, `S3 ListObjectsV2 s3://${this.bucket}/${prefix}`, this.context);
      }
    } while (token !== undefined);
    return out;
  }
}
