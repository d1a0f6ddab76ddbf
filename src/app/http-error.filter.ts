import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { HttpServer } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';

/** The request fields the filter reads (Fastify's request has them all). */
interface RequestLike {
  method?: string;
  url?: string;
  ip?: string;
  headers?: Record<string, string | string[] | undefined>;
}

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
  [extra: string]: unknown;
}

export interface HttpErrorFilterOptions {
  /** WEBHOOK_BODY_LIMIT, to say it in the 413 message. */
  bodyLimit?: number;
}

/** Keys a hand-built exception response may carry that must never reach a client. */
const HIDDEN_KEYS = new Set(['stack', 'cause']);
const MAX_LOGGED_URL = 200;

/**
 * Every error answer, whatever raised it, is `{statusCode, error, message}` JSON without a stack:
 * Nest exceptions, guards, and Fastify's own errors (413 body too large, 415 media type, 400
 * malformed JSON), which Nest's Fastify adapter routes here through its setErrorHandler, and 404s.
 * Refusals (4xx, and deliberate 5xx answers) are logged at warn with the reason and the sender's
 * address; faults (unexpected errors, 5xx caused by one) at error with the stack, which stays in the log.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  constructor(
    private readonly httpAdapter: HttpServer,
    private readonly options: HttpErrorFilterOptions = {},
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const http = host.switchToHttp();
    const request = http.getRequest<RequestLike>();
    const response = http.getResponse<unknown>();
    const { body, headers } = toErrorAnswer(exception, request, this.options);

    const where = `${request.method ?? '?'} ${truncate(request.url ?? '?')} from ${request.ip ?? 'unknown address'}`;
    const reason = Array.isArray(body.message) ? body.message.join('; ') : body.message;
    // A fault of ours (an unexpected error, or a 5xx caused by one, e.g. the database down) is
    // logged with its stack; a deliberate 5xx answer (admin disabled) is a refusal like a 4xx.
    const fault = !(exception instanceof HttpException) || (body.statusCode >= 500 && exception.cause !== undefined);
    if (fault) {
      this.logger.error({
        msg: `${body.statusCode} ${where}: ${reason}`,
        statusCode: body.statusCode,
        remoteAddress: request.ip,
        err: causeOf(exception),
      });
    } else {
      this.logger.warn({
        msg: `Refused ${body.statusCode} ${where}: ${reason}`,
        statusCode: body.statusCode,
        remoteAddress: request.ip,
        reason,
      });
    }

    if (this.httpAdapter.isHeadersSent(response)) {
      this.httpAdapter.end(response);
      return;
    }
    for (const [name, value] of Object.entries(headers)) this.httpAdapter.setHeader(response, name, value);
    this.httpAdapter.reply(response, body, body.statusCode);
  }
}

/** Maps anything thrown to the answer's body (and extra headers). Exported for unit tests. */
export function toErrorAnswer(
  exception: unknown,
  request: RequestLike = {},
  options: HttpErrorFilterOptions = {},
): { body: ErrorBody; headers: Record<string, string> } {
  if (!(exception instanceof HttpException)) {
    // Unknown errors may carry internals (SQL, paths): the client only learns that it was ours.
    return { body: { statusCode: 500, error: STATUS_CODES[500]!, message: 'Internal server error' }, headers: {} };
  }
  const statusCode = exception.getStatus();
  const error = STATUS_CODES[statusCode] ?? 'Error';
  const raw = exception.getResponse();
  let body: ErrorBody;
  if (typeof raw === 'string') {
    body = { statusCode, error, message: raw };
  } else {
    const { statusCode: _status, error: customError, message, ...rest } = raw as Record<string, unknown>;
    const extras = Object.fromEntries(Object.entries(rest).filter(([key]) => !HIDDEN_KEYS.has(key)));
    body = {
      statusCode,
      error: typeof customError === 'string' ? customError : error,
      message: isMessage(message) ? message : exception.message,
      ...extras,
    };
  }
  return refine(body, exception, request, options);
}

/** Clearer words for the errors Fastify raises before any of our code runs. */
function refine(
  body: ErrorBody,
  exception: HttpException,
  request: RequestLike,
  options: HttpErrorFilterOptions,
): { body: ErrorBody; headers: Record<string, string> } {
  const code = (exception.cause as { code?: unknown } | undefined)?.code;
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE' || body.statusCode === HttpStatus.PAYLOAD_TOO_LARGE) {
    const limit = options.bodyLimit ? ` of ${options.bodyLimit} bytes (WEBHOOK_BODY_LIMIT)` : '';
    return { body: { ...body, message: `Request body is larger than the limit${limit}` }, headers: {} };
  }
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    const received = String(request.headers?.['content-type'] ?? '').slice(0, 100);
    return {
      body: { ...body, message: `Content-Type must be application/json (got ${JSON.stringify(received)})` },
      headers: {},
    };
  }
  if (code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') {
    return { body: { ...body, message: 'Content-Length does not match the body received' }, headers: {} };
  }
  // POST is the only method of /webhooks: say so instead of "Cannot GET /webhooks".
  if (body.statusCode === HttpStatus.NOT_FOUND && pathOf(request.url) === '/webhooks' && request.method !== 'POST') {
    return {
      body: {
        statusCode: HttpStatus.METHOD_NOT_ALLOWED,
        error: STATUS_CODES[405]!,
        message: `${request.method} is not allowed on /webhooks; the provider must POST`,
      },
      headers: { allow: 'POST' },
    };
  }
  return { body, headers: {} };
}

function isMessage(value: unknown): value is string | string[] {
  return typeof value === 'string' || (Array.isArray(value) && value.every((item) => typeof item === 'string'));
}

function pathOf(url: string | undefined): string {
  if (!url) return '';
  const end = url.search(/[?;]/);
  return end === -1 ? url : url.slice(0, end);
}

function truncate(text: string): string {
  return text.length > MAX_LOGGED_URL ? `${text.slice(0, MAX_LOGGED_URL)}…` : text;
}

function causeOf(exception: unknown): unknown {
  return exception instanceof HttpException && exception.cause !== undefined ? exception.cause : exception;
}
