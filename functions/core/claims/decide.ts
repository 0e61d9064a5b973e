import type { ClaimRequest } from './request.js';

/** Who holds a value (null: free), as of the last request decided for it. */
export interface Holder {
  readonly owner: string;
  /** the request that won it */
  readonly requestId: string;
}

export const Reasons = {
  /** claim of a free value */
  free: 'free',
  /** claim by the owner that already holds it (idempotent for the owner) */
  alreadyHeld: 'already-held',
  /** claim of a value someone else holds */
  heldByOther: 'held-by-other',
  /** release by its holder */
  released: 'released',
  /** release of a value the requester does not hold */
  notHolder: 'not-holder',
} as const;
export type Reason = (typeof Reasons)[keyof typeof Reasons];

/** Where a decision was made: the request's record (its log position is its version). */
export interface DecidedAt {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/**
 * The answer to one request, as stored and as published on `claim-decisions`. It holds
 * no wall-clock time, so deciding the same log again gives the same bytes.
 */
export interface Decision {
  /** `decision:<requestId>`: consumers drop a republished duplicate by it */
  readonly decisionId: string;
  readonly requestId: string;
  readonly type: ClaimRequest['type'];
  readonly namespace: string;
  readonly value: string;
  readonly owner: string;
  readonly granted: boolean;
  readonly reason: Reason;
  /** who holds the value once this request is decided (null: free) */
  readonly holder: string | null;
  readonly decidedAt: DecidedAt;
  readonly requestedAt: string;
}

export const decisionId = (requestId: string): string => `decision:${requestId}`;

/**
 * First come, first served, in log order: a pure function of the value's holder before
 * this request and the request itself. Returns the decision and the holder after it.
 * - claim: granted when the value is free (it becomes the owner's) or already the owner's;
 *   refused when another owner holds it;
 * - release: granted when the owner holds it (the value becomes free); refused otherwise.
 */
export function decide(
  holder: Holder | null,
  request: ClaimRequest,
  at: DecidedAt,
): { readonly decision: Decision; readonly holder: Holder | null } {
  let granted: boolean;
  let reason: Reason;
  let next: Holder | null = holder;
  if (request.type === 'claim') {
    if (holder === null) {
      granted = true;
      reason = Reasons.free;
      next = { owner: request.owner, requestId: request.requestId };
    } else {
      granted = holder.owner === request.owner;
      reason = granted ? Reasons.alreadyHeld : Reasons.heldByOther;
    }
  } else {
    granted = holder !== null && holder.owner === request.owner;
    reason = granted ? Reasons.released : Reasons.notHolder;
    if (granted) next = null;
  }
  const decision: Decision = {
    decisionId: decisionId(request.requestId),
    requestId: request.requestId,
    type: request.type,
    namespace: request.namespace,
    value: request.value,
    owner: request.owner,
    granted,
    reason,
    holder: next?.owner ?? null,
    decidedAt: { topic: at.topic, partition: at.partition, offset: at.offset },
    requestedAt: request.requestedAt,
  };
  return { decision, holder: next };
}

/**
 * Whether a request carrying an already-decided `requestId` is the same request (a client
 * retry, a producer duplicate): same type, value and owner. Anything else reuses an id.
 */
export const sameRequest = (decision: Decision, request: ClaimRequest): boolean =>
  decision.type === request.type &&
  decision.namespace === request.namespace &&
  decision.value === request.value &&
  decision.owner === request.owner;
