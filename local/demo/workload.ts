/**
 * The demo's workload: customers and orders of a small shop, as a deterministic list of
 * publish steps (same seed, same steps). It exercises everything the pipeline promises to
 * survive:
 * - creates, full updates, patches and deletes (each delete followed by a Kafka tombstone);
 * - concurrent updates of one key: two writers get versions v and v+1 from the source,
 *   and the v+1 write reaches Kafka first, so v arrives late and must lose everywhere;
 * - duplicates: a producer that lost an acknowledgement re-sends records it already sent
 *   (same event id, same version);
 * - poison: a few records no sink can apply (broken JSON, no version, key mismatch,
 *   unknown op), which must be quarantined without blocking their partition.
 */
import type { ChangeInput } from '../publisher/envelope.js';
import type { RawRecord } from '../publisher/publisher.js';
import { type Random, seeded } from './random.js';

export type Entity = 'customer' | 'order';

export type Step =
  | { readonly kind: 'change'; readonly entity: Entity; readonly change: ChangeInput }
  /** writer B (version v+1) then writer A (version v) for one key */
  | {
      readonly kind: 'race';
      readonly entity: Entity;
      readonly changes: readonly [ChangeInput, ChangeInput];
    }
  /** re-send the records of an earlier step */
  | { readonly kind: 'resend'; readonly entity: Entity; readonly of: number }
  | {
      readonly kind: 'poison';
      readonly entity: Entity;
      readonly record: RawRecord;
      readonly why: string;
    };

export interface WorkloadOptions {
  /** number of change events (tombstones, duplicates and poison come on top) */
  readonly events: number;
  readonly seed: number;
  /** share of resends @default 0.03 */
  readonly duplicateRate?: number;
  /** share of poison records @default 0.01 (at least one of each kind when events ≥ 100) */
  readonly poisonRate?: number;
}

export interface Workload {
  readonly steps: readonly Step[];
  /** events per kind, for the header of the demo */
  readonly mix: Readonly<Record<string, number>>;
}

const NAMES = [
  'Ada',
  'Björn',
  'Chloé',
  'Dmitri',
  'Eşref',
  'Fatima',
  'Grace',
  'Hiro',
  'Inès',
  'Jon',
];
const TIERS = ['bronze', 'silver', 'gold'];
const STATUSES = ['paid', 'packed', 'shipped', 'delivered'];

interface KeyState {
  version: number;
  live: boolean;
}

export function buildWorkload(options: WorkloadOptions): Workload {
  const rnd = seeded(options.seed);
  const customers = new Map<string, KeyState>();
  const orders = new Map<string, KeyState & { customer: string }>();
  const steps: Step[] = [];
  const mix: Record<string, number> = {};
  const count = (what: string, n = 1) => {
    mix[what] = (mix[what] ?? 0) + n;
  };
  const customerPool = Math.max(5, Math.round(options.events / 12));
  const duplicateRate = options.duplicateRate ?? 0.03;
  const poisonRate = options.poisonRate ?? 0.01;
  const poisonKinds = ['invalid-json', 'missing-version', 'key-mismatch', 'unknown-op'];
  let poisonDue = options.events >= 100 ? [...poisonKinds] : [];
  let events = 0;

  const customerData = (id: string) => ({
    name: `${rnd.pick(NAMES)} ${id}`,
    email: `c${id}@example.com`,
    tier: rnd.pick(TIERS),
    visits: rnd.int(100),
  });
  const bump = (s: KeyState | undefined) => (s === undefined ? 1 : s.version + 1);

  while (events < options.events) {
    const roll = rnd.next();
    // Duplicates and poison: on top of the change events.
    if (steps.length > 10 && rnd.chance(duplicateRate)) {
      const of = rnd.int(steps.length);
      const earlier = steps[of];
      if (earlier !== undefined && earlier.kind !== 'poison' && earlier.kind !== 'resend') {
        steps.push({ kind: 'resend', entity: earlier.entity, of });
        count('duplicates re-sent');
      }
    }
    if (poisonDue.length > 0 && (rnd.chance(poisonRate) || events > options.events * 0.8)) {
      const why = poisonDue.shift() ?? 'invalid-json';
      steps.push({ kind: 'poison', entity: 'customer', record: poisonRecord(why, rnd), why });
      count('poison');
    } else if (steps.length > 10 && rnd.chance(poisonRate / 2)) {
      const why = rnd.pick(poisonKinds);
      steps.push({ kind: 'poison', entity: 'order', record: poisonRecord(why, rnd), why });
      count('poison');
    }
    void poisonDue;

    const id = String(rnd.int(customerPool));
    const customer = customers.get(id);
    if (roll < 0.35 || customer === undefined) {
      // customer create or full update
      const version = bump(customer);
      customers.set(id, { version, live: true });
      steps.push({
        kind: 'change',
        entity: 'customer',
        change: { entity: 'customer', key: id, op: 'upsert', version, data: customerData(id) },
      });
      count(customer?.live === true ? 'customer updates' : 'customer creates');
      events++;
    } else if (roll < 0.5 && customer.live) {
      const version = bump(customer);
      customer.version = version;
      const data = rnd.chance(0.5)
        ? { tier: rnd.pick(TIERS) }
        : { visits: rnd.int(1000), email: `new${id}@example.com` };
      steps.push({
        kind: 'change',
        entity: 'customer',
        change: { entity: 'customer', key: id, op: 'patch', version, data },
      });
      count('customer patches');
      events++;
    } else if (roll < 0.56 && customer.live) {
      // concurrent writers: v and v+1, v+1 reaches the log first
      const a = customer.version + 1;
      const b = customer.version + 2;
      customer.version = b;
      steps.push({
        kind: 'race',
        entity: 'customer',
        changes: [
          {
            entity: 'customer',
            key: id,
            op: 'upsert',
            version: b,
            data: { ...customerData(id), writer: 'B' },
          },
          {
            entity: 'customer',
            key: id,
            op: 'upsert',
            version: a,
            data: { ...customerData(id), writer: 'A' },
          },
        ],
      });
      count('concurrent updates (late writer loses)', 2);
      events += 2;
    } else if (roll < 0.6 && customer.live) {
      customer.version = bump(customer);
      customer.live = false;
      steps.push({
        kind: 'change',
        entity: 'customer',
        change: { entity: 'customer', key: id, op: 'delete', version: customer.version },
      });
      count('customer deletes');
      events++;
    } else {
      // orders: create (upsert, feeds the aggregate), status patches, a few cancels
      const existing = [...orders.entries()].filter(([, o]) => o.live);
      if (existing.length === 0 || roll < 0.8) {
        const orderId = `o${orders.size + 1}`;
        orders.set(orderId, { version: 1, live: true, customer: id });
        const amount = Math.round((5 + rnd.next() * 495) * 100) / 100;
        steps.push({
          kind: 'change',
          entity: 'order',
          change: {
            entity: 'order',
            key: orderId,
            op: 'upsert',
            version: 1,
            data: { customerId: id, amount, status: 'placed' },
          },
        });
        count('order creates');
      } else {
        const [orderId, order] = rnd.pick(existing);
        order.version++;
        if (rnd.chance(0.1)) {
          order.live = false;
          steps.push({
            kind: 'change',
            entity: 'order',
            change: { entity: 'order', key: orderId, op: 'delete', version: order.version },
          });
          count('order cancels');
        } else {
          steps.push({
            kind: 'change',
            entity: 'order',
            change: {
              entity: 'order',
              key: orderId,
              op: 'patch',
              version: order.version,
              data: { status: rnd.pick(STATUSES) },
            },
          });
          count('order patches');
        }
      }
      events++;
    }
  }
  poisonDue = [];
  return { steps, mix };
}

function poisonRecord(why: string, rnd: Random): RawRecord {
  const id = `p${rnd.int(1_000_000)}`;
  const base = {
    id: `poison-${id}`,
    entity: 'customer',
    key: id,
    op: 'upsert',
    version: 1,
    ts: new Date(0).toISOString(),
    data: { name: 'x' },
  };
  switch (why) {
    case 'missing-version': {
      const { version: _v, ...rest } = base;
      return { key: `customer:${id}`, value: JSON.stringify(rest) };
    }
    case 'key-mismatch':
      return { key: `customer:${id}x`, value: JSON.stringify(base) };
    case 'unknown-op':
      return { key: `customer:${id}`, value: JSON.stringify({ ...base, op: 'merge' }) };
    default:
      return { key: `customer:${id}`, value: '{"id": "broken", "entity": "customer", ' };
  }
}
