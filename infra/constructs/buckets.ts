import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { ResolvedLifecycle } from '../config/resolved.js';

export interface PipelineBucketsProps {
  readonly archiveLifecycle: ResolvedLifecycle;
  readonly quarantineLifecycle: ResolvedLifecycle;
  readonly removalPolicy: RemovalPolicy;
}

/** Request-metrics filter id on the failure bucket; CloudWatch reports `PutRequests` under it. */
export const FAILURE_METRICS_FILTER = 'AllObjects';

function lifecycleRules(l: ResolvedLifecycle): s3.LifecycleRule[] {
  const transitions: s3.Transition[] = [];
  if (l.infrequentAccessAfterDays > 0) {
    transitions.push({
      storageClass: s3.StorageClass.INFREQUENT_ACCESS,
      transitionAfter: Duration.days(l.infrequentAccessAfterDays),
    });
  }
  if (l.glacierAfterDays > 0) {
    transitions.push({
      storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
      transitionAfter: Duration.days(l.glacierAfterDays),
    });
  }
  return [
    {
      id: 'tiering',
      transitions,
      abortIncompleteMultipartUploadAfter: Duration.days(7),
      ...(l.expireAfterDays > 0 ? { expiration: Duration.days(l.expireAfterDays) } : {}),
    },
  ];
}

/**
 * The pipeline's buckets, all private, TLS-only, encrypted and access-logged: the archive,
 * the quarantine, the event source mappings' on-failure destination, Athena query results
 * and the access-log bucket itself.
 */
export class PipelineBuckets extends Construct {
  readonly accessLogs: s3.IBucket;
  readonly archive: s3.IBucket;
  readonly quarantine: s3.IBucket;
  /** On-failure destination of every event source mapping (discarded batch metadata). */
  readonly failures: s3.IBucket;
  readonly athenaResults: s3.IBucket;

  // Typed as IBucket: under exactOptionalPropertyTypes CDK's Bucket class does not satisfy
  // its own IBucket interface (optional fields), and every consumer takes IBucket.
  constructor(scope: Construct, id: string, props: PipelineBucketsProps) {
    super(scope, id);
    // Grant S3 log delivery through a bucket policy (works with BUCKET_OWNER_ENFORCED; the
    // ACL alternative needs ObjectWriter ownership). Set here so embedding apps need no flag.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const common = {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: props.removalPolicy,
    } as const;
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      ...common,
      lifecycleRules: [{ id: 'expire', expiration: Duration.days(365) }],
    }) as s3.IBucket;
    const logged = (prefix: string) => ({
      ...common,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: `${prefix}/`,
    });
    this.archive = new s3.Bucket(this, 'Archive', {
      ...logged('archive'),
      lifecycleRules: lifecycleRules(props.archiveLifecycle),
    }) as s3.IBucket;
    this.quarantine = new s3.Bucket(this, 'Quarantine', {
      ...logged('quarantine'),
      lifecycleRules: lifecycleRules(props.quarantineLifecycle),
    }) as s3.IBucket;
    this.failures = new s3.Bucket(this, 'Failures', {
      ...logged('failures'),
      lifecycleRules: [{ id: 'expire', expiration: Duration.days(90) }],
      // Request metrics turn each arrival into a CloudWatch PutRequests datapoint, so an
      // alarm sees discarded batches without a notification Lambda.
      metrics: [{ id: FAILURE_METRICS_FILTER }],
    }) as s3.IBucket;
    this.athenaResults = new s3.Bucket(this, 'AthenaResults', {
      ...logged('athena-results'),
      lifecycleRules: [{ id: 'expire', expiration: Duration.days(30) }],
    }) as s3.IBucket;
  }
}
