/**
 * The monthly cost of a deployed stage, read from its synthesized CloudFormation template:
 * fixed $/month (MSK, OpenSearch instances and storage, event poller units of the
 * provisioned Kafka mappings, interface VPC endpoints, alarms, dashboards) and variable
 * $/million events per sink (DynamoDB request units, S3 PUTs, Lambda requests and GB-s at
 * the mapping's batch size and the function's memory). Pure: the template and the measured
 * per-event figures come in, dollars go out (unit-tested in test/unit/bench/stage/).
 */
import { PRICES, type Prices } from '../lib/prices.js';
import { HOURS_PER_MONTH, STAGE_PRICES, type StagePrices } from './stage-prices.js';
import type { CfnTemplate } from './synth-stages.js';

export const StageSinks = ['dynamodb', 'opensearch', 's3-archive'] as const;
export type StageSink = (typeof StageSinks)[number];

export interface FixedLine {
  readonly item: string;
  readonly quantity: number;
  readonly unit: string;
  readonly usdPerMonth: number;
  readonly source: string;
}

/** What one event costs a sink beyond its batch's fixed requests (measured elsewhere). */
export interface SinkPerEvent {
  /** Lambda CPU milliseconds per event (bench part 1 or 5) */
  readonly cpuMs: number;
  /** DynamoDB write units per event (the view: 1 per new ~1 KB key; others 0) */
  readonly wru: number;
}

export interface VariableOptions {
  readonly perEvent: Readonly<Record<StageSink, SinkPerEvent>>;
  /** latency of one AWS request, for the sequential requests of a batch (checkpoint read,
   *  store write, checkpoint write) that Lambda bills as duration */
  readonly requestLatencyMs: number;
}

export interface MappingCost {
  readonly sink: StageSink;
  readonly topic: string;
  readonly batchSize: number;
  readonly memoryMb: number;
  readonly perMillion: {
    readonly dynamo: number;
    readonly s3: number;
    readonly lambdaRequests: number;
    readonly lambdaDuration: number;
    readonly total: number;
  };
}

export interface PollerModel {
  readonly mappings: number;
  readonly groups: ReadonlyArray<{
    name: string;
    mappings: number;
    minimumPollers: number;
    epus: number;
  }>;
  /** mappings in no group: each holds its own EPUs */
  readonly ungrouped: number;
  readonly epus: number;
  readonly usdPerMonth: number;
  /** the same mappings without a poller group (the templates before issue 13) */
  readonly epusWithoutGroups: number;
  readonly usdPerMonthWithoutGroups: number;
}

export interface StageCost {
  readonly fixed: readonly FixedLine[];
  readonly fixedUsdPerMonth: number;
  readonly pollers: PollerModel;
  readonly mappings: readonly MappingCost[];
}

type Resource = CfnTemplate['Resources'][string];
const ofType = (t: CfnTemplate, type: string): Resource[] =>
  Object.values(t.Resources).filter((r) => r.Type === type);
const num = (v: unknown, fallback = 0): number => (typeof v === 'number' ? v : fallback);
const rec = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};

/** EPUs of provisioned mappings: a poller group pools its mappings' minimum pollers
 *  (10 per EPU); a mapping outside any group holds whole EPUs of its own. */
export function pollerModel(
  mappings: ReadonlyArray<{ minimumPollers: number; group: string | undefined }>,
  prices: StagePrices = STAGE_PRICES,
): PollerModel {
  const per = prices.lambdaPollersPerEpu;
  const groups = new Map<string, { mappings: number; minimumPollers: number }>();
  let ungroupedEpus = 0;
  let ungrouped = 0;
  let epusWithoutGroups = 0;
  for (const m of mappings) {
    epusWithoutGroups += Math.ceil(m.minimumPollers / per);
    if (m.group === undefined || m.group === '') {
      ungrouped++;
      ungroupedEpus += Math.ceil(m.minimumPollers / per);
      continue;
    }
    const g = groups.get(m.group) ?? { mappings: 0, minimumPollers: 0 };
    g.mappings++;
    g.minimumPollers += m.minimumPollers;
    groups.set(m.group, g);
  }
  const groupRows = [...groups].map(([name, g]) => ({
    name,
    ...g,
    epus: Math.ceil(g.minimumPollers / per),
  }));
  const epus = ungroupedEpus + groupRows.reduce((a, g) => a + g.epus, 0);
  const month = prices.lambdaEpuHour.usd * HOURS_PER_MONTH;
  return {
    mappings: mappings.length,
    groups: groupRows,
    ungrouped,
    epus,
    usdPerMonth: epus * month,
    epusWithoutGroups,
    usdPerMonthWithoutGroups: epusWithoutGroups * month,
  };
}

function priced(table: Readonly<Record<string, { usd: number; source: string }>>, key: string) {
  const price = table[key];
  if (price === undefined)
    throw new Error(`stage cost: no price for ${key}; add it to stage-prices.ts`);
  return price;
}

/** Fixed $/month of the resources in a template. */
export function fixedLines(t: CfnTemplate, prices: StagePrices = STAGE_PRICES): FixedLine[] {
  const h = HOURS_PER_MONTH;
  const lines: FixedLine[] = [];
  const line = (item: string, quantity: number, unit: string, usd: number, source: string) => {
    if (quantity > 0) lines.push({ item, quantity, unit, usdPerMonth: quantity * usd, source });
  };
  for (const _ of ofType(t, 'AWS::MSK::ServerlessCluster')) {
    const partitions = ofType(t, 'Custom::StaysyncKafkaTopic').reduce(
      (a, r) => a + num(r.Properties?.Partitions),
      0,
    );
    const c = prices.mskServerlessClusterHour;
    line('MSK Serverless cluster', h, 'cluster-hours', c.usd, c.source);
    const ph = prices.mskServerlessPartitionHour;
    line(
      `MSK Serverless partitions (${partitions})`,
      partitions * h,
      'partition-hours',
      ph.usd,
      ph.source,
    );
  }
  for (const r of ofType(t, 'AWS::MSK::Cluster')) {
    const info = rec(r.Properties?.BrokerNodeGroupInfo);
    const brokers = num(r.Properties?.NumberOfBrokerNodes);
    const type = String(info.InstanceType);
    const b = priced(prices.mskBrokerHour, type);
    line(`MSK brokers (${brokers} × ${type})`, brokers * h, 'broker-hours', b.usd, b.source);
    const gb = num(rec(rec(info.StorageInfo).EBSStorageInfo).VolumeSize, 1000);
    const s = prices.mskBrokerStorageGbMonth;
    line(`MSK broker storage (${brokers} × ${gb} GB)`, brokers * gb, 'GB-months', s.usd, s.source);
  }
  for (const r of ofType(t, 'AWS::OpenSearchService::Domain')) {
    const c = rec(r.Properties?.ClusterConfig);
    const data = num(c.InstanceCount, 1);
    const type = String(c.InstanceType);
    const d = priced(prices.openSearchInstanceHour, type);
    line(`OpenSearch data nodes (${data} × ${type})`, data * h, 'instance-hours', d.usd, d.source);
    if (c.DedicatedMasterEnabled === true) {
      const masters = num(c.DedicatedMasterCount);
      const mType = String(c.DedicatedMasterType);
      const m = priced(prices.openSearchInstanceHour, mType);
      line(
        `OpenSearch masters (${masters} × ${mType})`,
        masters * h,
        'instance-hours',
        m.usd,
        m.source,
      );
    }
    const gb = num(rec(r.Properties?.EBSOptions).VolumeSize);
    const s = prices.openSearchGp3GbMonth;
    line(`OpenSearch gp3 storage (${data} × ${gb} GB)`, data * gb, 'GB-months', s.usd, s.source);
  }
  const endpointAzs = ofType(t, 'AWS::EC2::VPCEndpoint')
    .filter((r) => r.Properties?.VpcEndpointType === 'Interface')
    .reduce(
      (a, r) => a + (Array.isArray(r.Properties?.SubnetIds) ? r.Properties.SubnetIds.length : 1),
      0,
    );
  const e = prices.vpcInterfaceEndpointAzHour;
  line(
    'Interface VPC endpoints (endpoint × AZ)',
    endpointAzs * h,
    'endpoint-AZ-hours',
    e.usd,
    e.source,
  );
  const alarmMetrics = ofType(t, 'AWS::CloudWatch::Alarm').reduce((a, r) => {
    const metrics = r.Properties?.Metrics;
    if (!Array.isArray(metrics)) return a + 1;
    // a metric-math alarm is billed per metric it reads
    return a + Math.max(1, metrics.filter((m) => rec(m).MetricStat !== undefined).length);
  }, 0);
  const al = prices.cloudWatchAlarmMetricMonth;
  line(
    'CloudWatch alarms (metrics alarmed on)',
    alarmMetrics,
    'alarm-metric-months',
    al.usd,
    al.source,
  );
  const dashboards = ofType(t, 'AWS::CloudWatch::Dashboard').length;
  const db = prices.cloudWatchDashboardMonth;
  line(
    'CloudWatch dashboards (before the 3 free ones)',
    dashboards,
    'dashboard-months',
    db.usd,
    db.source,
  );
  return lines;
}

const SINK_OF_FUNCTION: ReadonlyArray<[RegExp, StageSink]> = [
  [/Sinkdynamodb/i, 'dynamodb'],
  [/Sinkopensearch/i, 'opensearch'],
  [/Sinks3archive/i, 's3-archive'],
];

/** The Kafka sink mappings of a template with their function's memory. */
function kafkaMappings(t: CfnTemplate) {
  return Object.values(t.Resources)
    .filter(
      (r) => r.Type === 'AWS::Lambda::EventSourceMapping' && Array.isArray(r.Properties?.Topics),
    )
    .map((r) => {
      const fnRef = String(rec(r.Properties?.FunctionName).Ref ?? '');
      const sink = SINK_OF_FUNCTION.find(([re]) => re.test(fnRef))?.[1];
      const fn = t.Resources[fnRef];
      const pollers = rec(r.Properties?.ProvisionedPollerConfig);
      return {
        sink,
        topic: String(((r.Properties?.Topics ?? []) as unknown[])[0]),
        batchSize: num(r.Properties?.BatchSize, 100),
        memoryMb: num(fn?.Properties?.MemorySize, 128),
        provisioned: r.Properties?.ProvisionedPollerConfig !== undefined,
        minimumPollers: num(pollers.MinimumPollers, 1),
        group: typeof pollers.PollerGroupName === 'string' ? pollers.PollerGroupName : undefined,
      };
    });
}

/** $ per million events through one sink mapping at its batch size (full batches). */
export function mappingCost(
  m: { sink: StageSink; topic: string; batchSize: number; memoryMb: number },
  options: VariableOptions,
  prices: Prices = PRICES,
): MappingCost {
  const events = 1_000_000;
  const batches = events / m.batchSize;
  const e = options.perEvent[m.sink];
  // per batch: the ledger checkpoint read (strongly consistent, 1 RRU) and its conditional
  // update (1 WRU); the archive adds one PutObject
  const wru = events * e.wru + batches;
  const rru = batches;
  const s3Puts = m.sink === 's3-archive' ? batches : 0;
  const dynamo = (wru * prices.dynamoWruPerMillion + rru * prices.dynamoRruPerMillion) / 1e6;
  const s3 = (s3Puts * prices.s3PutPer1000) / 1e3;
  const lambdaRequests = (batches * prices.lambdaRequestsPerMillion) / 1e6;
  const msPerBatch = e.cpuMs * m.batchSize + 3 * options.requestLatencyMs;
  const gbSeconds = (m.memoryMb / 1024) * (Math.ceil(msPerBatch) / 1000) * batches;
  const lambdaDuration = gbSeconds * prices.lambdaArmGbSecond;
  return {
    ...m,
    perMillion: {
      dynamo,
      s3,
      lambdaRequests,
      lambdaDuration,
      total: dynamo + s3 + lambdaRequests + lambdaDuration,
    },
  };
}

export function stageCost(t: CfnTemplate, options: VariableOptions): StageCost {
  const mappings = kafkaMappings(t);
  const pollers = pollerModel(mappings.filter((m) => m.provisioned));
  const fixed = fixedLines(t);
  fixed.push({
    item: `Event poller units (${pollers.mappings} provisioned mappings, ${pollers.groups.length} poller group(s))`,
    quantity: pollers.epus * HOURS_PER_MONTH,
    unit: 'EPU-hours',
    usdPerMonth: pollers.usdPerMonth,
    source: STAGE_PRICES.lambdaEpuHour.source,
  });
  return {
    fixed,
    fixedUsdPerMonth: fixed.reduce((a, l) => a + l.usdPerMonth, 0),
    pollers,
    mappings: mappings.flatMap((m) =>
      m.sink === undefined ? [] : [mappingCost({ ...m, sink: m.sink }, options)],
    ),
  };
}
