/**
 * Counts the HTTP requests an OpenSearch client sends (bulk / mget / other), from the
 * client's own `response` events: nothing in the sink changes.
 */
import type { Client } from '@opensearch-project/opensearch';

export interface OpenSearchMeter {
  readonly counts: Readonly<Record<'bulk' | 'mget' | 'other', number>>;
  /** request lines, e.g. `PUT /_index_template/x`, for the "other" bucket */
  readonly others: readonly string[];
  reset(): void;
  detach(): void;
}

interface ResponseEvent {
  meta?: { request?: { params?: { method?: string; path?: string } } };
}

export function meterOpenSearch(client: Client): OpenSearchMeter {
  const counts = { bulk: 0, mget: 0, other: 0 };
  const others: string[] = [];
  const listener = (_err: unknown, result: ResponseEvent | null) => {
    const params = result?.meta?.request?.params;
    const path = params?.path ?? '';
    if (/\/_bulk$/.test(path)) counts.bulk++;
    else if (/\/_mget$/.test(path)) counts.mget++;
    else {
      counts.other++;
      others.push(`${params?.method ?? '?'} ${path}`);
    }
  };
  const emitter = client as unknown as {
    on(event: 'response', l: typeof listener): void;
    off?(event: 'response', l: typeof listener): void;
    removeListener?(event: 'response', l: typeof listener): void;
  };
  emitter.on('response', listener);
  return {
    counts,
    others,
    reset: () => {
      counts.bulk = 0;
      counts.mget = 0;
      counts.other = 0;
      others.length = 0;
    },
    detach: () => {
      (emitter.off ?? emitter.removeListener)?.call(emitter, 'response', listener);
    },
  };
}
