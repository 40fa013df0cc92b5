// Errors in OpenAI's shape: `{ error: { message, type, param, code } }` with
// the HTTP status an OpenAI client expects for that kind of failure.

import { InputError, NeedleError } from "../errors.ts";

/** OpenAI's error `type`s this server answers with. */
export type ApiErrorType = "invalid_request_error" | "authentication_error" | "not_found_error" | "server_error" | "timeout_error";

/** A request the server refuses or could not answer: status, OpenAI error fields, extra headers. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly status: number;
  readonly type: ApiErrorType;
  readonly code: string;
  readonly param: string | null;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, type: ApiErrorType, code: string, message: string, options: { param?: string | null; headers?: Record<string, string>; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.status = status;
    this.type = type;
    this.code = code;
    this.param = options.param ?? null;
    this.headers = options.headers ?? {};
  }
}

/** 400: the body or one of its fields is wrong; `param` names the field. */
export function badRequest(code: string, message: string, param: string | null = null, cause?: unknown): ApiError {
  return new ApiError(400, "invalid_request_error", code, message, { param, cause });
}

/** The error body OpenAI's clients parse. */
export function errorBody(error: ApiError): { error: { message: string; type: string; param: string | null; code: string } } {
  return { error: { message: error.message, type: error.type, param: error.param, code: error.code } };
}

export function errorResponse(error: ApiError): Response {
  return new Response(JSON.stringify(errorBody(error)), {
    status: error.status,
    headers: { "content-type": "application/json", ...error.headers },
  });
}

/**
 * Any failure of a call as an ApiError: an InputError (bad query, tools or
 * options) is the client's (400, `param` when known); anything else is the
 * server's own failure (500).
 */
export function toApiError(err: unknown, param: string | null = null): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof InputError) return badRequest(err.code, err.message, param, err);
  const message = err instanceof Error ? err.message : String(err);
  const code = err instanceof NeedleError ? err.code : "internal_error";
  return new ApiError(500, "server_error", code, `the server failed: ${message}`, { cause: err });
}

/** 504: the call ran past the server's timeout and was stopped. */
export function timeoutError(ms: number): ApiError {
  return new ApiError(504, "timeout_error", "timeout", `the request took longer than the server's timeout (${ms} ms) and was stopped`);
}
