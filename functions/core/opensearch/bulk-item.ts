/**
 * Classifies one item of a bulk response (DESIGN §4: "per-item errors are classified").
 * Every item gets a verdict; none is ignored.
 */
export interface BulkItemError {
  readonly type?: string;
  readonly reason?: string;
  readonly caused_by?: { readonly type?: string; readonly reason?: string };
}

export interface BulkItemResult {
  readonly status: number;
  readonly error?: BulkItemError;
}

export type ItemVerdict =
  /** written (201 created / 200 updated) */
  | { readonly kind: 'applied' }
  /** 409: the stored external version is at or above ours — already applied.
   *  `duplicate` when the stored version is exactly ours (the same version again). */
  | { readonly kind: 'conflict'; readonly duplicate: boolean }
  /** 429, rejected execution, 5xx, cluster blocks, auth: transient for this document */
  | { readonly kind: 'retry'; readonly message: string }
  /** the write alias (or its index) is gone: recreate the layout, then retry */
  | { readonly kind: 'missing-index'; readonly message: string }
  /** 400: this document can never be indexed as it is (mapping/parse) → quarantine */
  | { readonly kind: 'poison'; readonly errorType: string; readonly message: string };

const REJECTED = new Set(['es_rejected_execution_exception', 'rejected_execution_exception']);
const VERSION_CONFLICT =
  /current version \[(\d+)\] is higher or equal to the one provided \[(\d+)\]/;

export function describeItemError(status: number, error: BulkItemError | undefined): string {
  if (error === undefined) return `status ${status}`;
  const cause =
    error.caused_by === undefined
      ? ''
      : `; caused by ${error.caused_by.type ?? 'error'}: ${error.caused_by.reason ?? ''}`;
  return `status ${status} ${error.type ?? 'error'}: ${error.reason ?? ''}${cause}`;
}

export function classifyBulkItem(item: BulkItemResult): ItemVerdict {
  const { status, error } = item;
  if (status >= 200 && status < 300 && error === undefined) return { kind: 'applied' };
  const type = error?.type ?? '';
  const message = describeItemError(status, error);
  if (status === 409 || type === 'version_conflict_engine_exception') {
    const m = VERSION_CONFLICT.exec(error?.reason ?? '');
    return { kind: 'conflict', duplicate: m !== null && m[1] === m[2] };
  }
  if (status === 429 || REJECTED.has(type) || status >= 500) return { kind: 'retry', message };
  if (type === 'index_not_found_exception') return { kind: 'missing-index', message };
  // A 400 is about this document (mapper_parsing_exception, document_parsing_exception,
  // illegal_argument_exception, strict_dynamic_mapping_exception, …): retrying cannot help.
  if (status === 400) return { kind: 'poison', errorType: type || 'bad_request', message };
  // 401/403/404/… (cluster blocks, permissions): infrastructure, not the document. Retry
  // (and in the end report a batch item failure) rather than quarantine good data.
  return { kind: 'retry', message };
}
