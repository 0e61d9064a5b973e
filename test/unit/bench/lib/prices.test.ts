import { describe, expect, it } from 'vitest';
import { costPerMillionEvents, PRICES, type Usage } from '../../../../bench/lib/prices.js';

const usage = (over: Partial<Usage>): Usage => ({
  wru: 0,
  rru: 0,
  s3Put: 0,
  s3Get: 0,
  invocations: 0,
  durationMs: 0,
  events: 1_000_000,
  ...over,
});

describe('costPerMillionEvents', () => {
  it('charges one million write request units at the on-demand WRU price', () => {
    const cost = costPerMillionEvents(usage({ wru: 1_000_000 }));
    expect(cost.dynamo).toBeCloseTo(PRICES.dynamoWruPerMillion, 10);
    expect(cost.total).toBeCloseTo(0.625, 10);
  });

  it('scales usage measured on a sample up to one million events', () => {
    // 2,000 events that took 2,100 WRU and 20 RRU: 1.05 WRU and 0.01 RRU per event
    const cost = costPerMillionEvents(usage({ wru: 2_100, rru: 20, events: 2_000 }));
    expect(cost.dynamo).toBeCloseTo(1.05 * 0.625 + 0.01 * 0.125, 10);
  });

  it('prices S3 PUT-class and GET-class requests per thousand', () => {
    const cost = costPerMillionEvents(usage({ s3Put: 10_000, s3Get: 1_000 }));
    expect(cost.s3).toBeCloseTo(10 * 0.005 + 1 * 0.0004, 10);
  });

  it('bills Lambda GB-seconds at the arm64 price for the memory given, plus requests', () => {
    // 10,000 invocations of 100 ms at 512 MB = 500 GB-s
    const cost = costPerMillionEvents(usage({ invocations: 10_000, durationMs: 1_000_000 }), 512);
    expect(cost.lambdaDuration).toBeCloseTo(500 * 0.0000133334, 10);
    expect(cost.lambdaRequests).toBeCloseTo(0.002, 10);
  });

  it('refuses a sample without events', () => {
    expect(() => costPerMillionEvents(usage({ events: 0 }))).toThrow(RangeError);
  });
});
