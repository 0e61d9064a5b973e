/**
 * On-demand list prices (US East, N. Virginia, USD) of the fixed resources a deployed
 * stage holds. Every stage is priced in US East so stages compare; prod's template pins
 * eu-west-1, where most of these prices are ~5–10% higher. Source of each is next to it
 * and in bench/README.md ("Cost of a deployed stage"); `verified` says whether the figure
 * was read in this repository's sources (stored copy of the page) or is the list price as
 * published on the linked page without a stored copy (confirm before quoting).
 */
export const HOURS_PER_MONTH = 730;

export interface Price {
  readonly usd: number;
  readonly per: string;
  readonly source: string;
  readonly verified: boolean;
}

const p = (usd: number, per: string, source: string, verified = false): Price => ({
  usd,
  per,
  source,
  verified,
});

const MSK = 'https://aws.amazon.com/msk/pricing/';
const OPENSEARCH = 'https://aws.amazon.com/opensearch-service/pricing/';
const LAMBDA = 'https://aws.amazon.com/lambda/pricing/';

export const STAGE_PRICES = {
  mskServerlessClusterHour: p(0.75, 'cluster-hour', MSK),
  mskServerlessPartitionHour: p(0.0015, 'partition-hour', MSK),
  mskServerlessStorageGbMonth: p(0.1, 'GB-month', MSK),
  mskServerlessDataInGb: p(0.1, 'GB written', MSK),
  mskServerlessDataOutGb: p(0.05, 'GB read', MSK),
  mskBrokerHour: {
    'kafka.t3.small': p(0.0456, 'broker-hour', MSK),
    'kafka.m5.large': p(0.21, 'broker-hour', MSK),
    'kafka.m7g.large': p(0.204, 'broker-hour', MSK),
  } as Readonly<Record<string, Price>>,
  mskBrokerStorageGbMonth: p(0.1, 'GB-month', MSK),
  openSearchInstanceHour: {
    't3.small.search': p(0.036, 'instance-hour', OPENSEARCH),
    'm7g.large.search': p(0.136, 'instance-hour', OPENSEARCH),
    'r7g.large.search': p(0.167, 'instance-hour', OPENSEARCH),
  } as Readonly<Record<string, Price>>,
  openSearchGp3GbMonth: p(0.122, 'GB-month', OPENSEARCH),
  /** Lambda provisioned mode for Kafka: "EPU-hours price is $0.185/hour and supports 10
   *  event pollers per EPU" (Lambda pricing page, "Pricing Example 3": 10 ESMs of one
   *  poller each in one poller group = 1 EPU) */
  lambdaEpuHour: p(0.185, 'EPU-hour', LAMBDA, true),
  lambdaPollersPerEpu: 10,
  vpcInterfaceEndpointAzHour: p(
    0.01,
    'endpoint-AZ-hour',
    'https://aws.amazon.com/privatelink/pricing/',
  ),
  cloudWatchAlarmMetricMonth: p(
    0.1,
    'standard-resolution alarm metric-month',
    'https://aws.amazon.com/cloudwatch/pricing/',
  ),
  cloudWatchDashboardMonth: p(
    3,
    'dashboard-month (first 3 free)',
    'https://aws.amazon.com/cloudwatch/pricing/',
  ),
} as const;

export type StagePrices = typeof STAGE_PRICES;
