/**
 * Errors that reach a caller carry an HTTP status and a stable machine code; every edge answers
 * them as `{"error": {"code", "message"}}`.
 */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    options?: { cause?: unknown; headers?: Record<string, string>; details?: unknown },
  ) {
    super(message, options);
    this.headers = options?.headers;
    this.details = options?.details;
  }
  readonly headers: Record<string, string> | undefined;
  readonly details: unknown;
}

export interface JsonResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export function jsonResponse(statusCode: number, body: unknown, headers: Record<string, string> = {}): JsonResponse {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

export function errorResponse(err: HttpError): JsonResponse {
  const error: Record<string, unknown> = { code: err.code, message: err.message };
  if (err.details !== undefined) error.details = err.details;
  return jsonResponse(err.statusCode, { error }, err.headers);
}
