import { describe, expect, it, vi } from 'vitest';
import { runClaimsDemo } from '../../../../local/demo/claims/run.js';
import { loadStackEnv } from '../../../support/stack-env.js';

// `npm run demo:claims` in small, on the local stack: clients (the ClaimsClient helper)
// race for names through the real claims handler, and transfers run through the real
// transfers handler and its DynamoDB store with crashes injected between steps.
const stack = loadStackEnv();

describe('the claims demo', () => {
  it('ends with one winner per name, every loser told, and transfers exact under crashes', async () => {
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');

    const result = await runClaimsDemo({
      seed: 11,
      clients: 4,
      names: 6,
      accounts: 4,
      transfers: 30,
      crashRate: 0.2,
      maxCrashes: 20,
      partitions: 2,
      runId: `claims-it-${Date.now().toString(36)}`,
      stack: stack.vars,
      cleanup: true,
      log: () => undefined,
    });

    expect(result.race.requests).toBe(24);
    expect(result.race.problems).toEqual([]);
    expect(result.transfers.problems).toEqual([]);
    expect(result.transfers.accepted).toBeGreaterThan(0);
    expect(result.transfers.total).toBe(result.transfers.deposited);
    // crashes fired between the steps: before and after a step's commit
    expect(result.crashes.get('before the step commits') ?? 0).toBeGreaterThan(0);
    expect(result.crashes.get('after the step commits, before publishing') ?? 0).toBeGreaterThan(0);
  });
});
