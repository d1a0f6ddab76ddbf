import { jest } from '@jest/globals';
import {
  BadRequestException,
  HttpException,
  Logger,
  NotFoundException,
  ServiceUnavailableException,
  UnauthorizedException,
  type ArgumentsHost,
  type HttpServer,
} from '@nestjs/common';
import { HttpErrorFilter, toErrorAnswer } from './http-error.filter.js';

/** A FastifyError as Nest's adapter maps it (HttpException with the Fastify error as cause). */
const fastifyError = (code: string, status: number, message: string) =>
  new HttpException(message, status, {
    cause: Object.assign(new Error(message), { code, name: 'FastifyError', statusCode: status }),
  });

describe('toErrorAnswer', () => {
  it('keeps a string message and names the status', () => {
    expect(toErrorAnswer(new UnauthorizedException('no key')).body).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: 'no key',
    });
  });

  it('keeps the list of field messages of a 400', () => {
    expect(toErrorAnswer(new BadRequestException(['type is required', 'data is required'])).body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: ['type is required', 'data is required'],
    });
  });

  it('keeps extra fields (the failed signature check) but never a stack or a cause', () => {
    const exception = new HttpException(
      {
        statusCode: 401,
        error: 'Unauthorized',
        message: 'bad',
        check: 'signature_mismatch',
        stack: 'at x (y.ts:1)',
        cause: 'db',
      },
      401,
    );
    expect(toErrorAnswer(exception).body).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: 'bad',
      check: 'signature_mismatch',
    });
  });

  it('hides everything about an unknown error', () => {
    const { body } = toErrorAnswer(new Error('connect ECONNREFUSED 10.0.0.5:5432 /srv/app/db.ts'));
    expect(body).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' });
  });

  it("explains Fastify refusals in the sender's terms", () => {
    expect(
      toErrorAnswer(
        fastifyError('FST_ERR_CTP_BODY_TOO_LARGE', 413, 'Request body is too large'),
        {},
        { bodyLimit: 2048 },
      ).body,
    ).toEqual({
      statusCode: 413,
      error: 'Payload Too Large',
      message: 'Request body is larger than the limit of 2048 bytes (WEBHOOK_BODY_LIMIT)',
    });
    const media = toErrorAnswer(fastifyError('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 'Unsupported Media Type'), {
      headers: { 'content-type': 'application/xml' },
    });
    expect(media.body.message).toBe('Content-Type must be application/json (got "application/xml")');
  });

  it('answers 405 with Allow: POST for another method on /webhooks, and leaves other 404s alone', () => {
    const notFound = new NotFoundException('Cannot GET /webhooks');
    expect(toErrorAnswer(notFound, { method: 'GET', url: '/webhooks?x=1' })).toEqual({
      body: {
        statusCode: 405,
        error: 'Method Not Allowed',
        message: 'GET is not allowed on /webhooks; the provider must POST',
      },
      headers: { allow: 'POST' },
    });
    expect(
      toErrorAnswer(new NotFoundException('Cannot GET /nope'), { method: 'GET', url: '/nope' }).body.statusCode,
    ).toBe(404);
  });
});

describe('HttpErrorFilter', () => {
  const reply = { sent: false };
  const adapter = {
    isHeadersSent: jest.fn(() => false),
    setHeader: jest.fn(),
    reply: jest.fn(),
    end: jest.fn(),
  };
  const host = (request: Record<string, unknown>) =>
    ({
      getType: () => 'http',
      switchToHttp: () => ({ getRequest: () => request, getResponse: () => reply }),
    }) as unknown as ArgumentsHost;

  let warn: jest.SpiedFunction<Logger['warn']>;
  let error: jest.SpiedFunction<Logger['error']>;
  beforeEach(() => {
    jest.clearAllMocks();
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  const filter = new HttpErrorFilter(adapter as unknown as HttpServer, { bodyLimit: 1024 });

  it('answers the JSON body and logs a refusal at warn with the reason and the sender address', () => {
    filter.catch(
      new BadRequestException(['type is required']),
      host({ method: 'POST', url: '/webhooks', ip: '203.0.113.4' }),
    );
    expect(adapter.reply).toHaveBeenCalledWith(
      reply,
      { statusCode: 400, error: 'Bad Request', message: ['type is required'] },
      400,
    );
    expect(warn).toHaveBeenCalledTimes(1);
    const [entry] = warn.mock.calls[0] as [Record<string, unknown>];
    expect(entry).toMatchObject({ statusCode: 400, remoteAddress: '203.0.113.4', reason: 'type is required' });
    expect(entry.msg).toBe('Refused 400 POST /webhooks from 203.0.113.4: type is required');
    expect(error).not.toHaveBeenCalled();
  });

  it('sets the extra headers of the answer (Allow on a 405)', () => {
    filter.catch(new NotFoundException(), host({ method: 'PUT', url: '/webhooks', ip: '203.0.113.4' }));
    expect(adapter.setHeader).toHaveBeenCalledWith(reply, 'allow', 'POST');
    expect(adapter.reply).toHaveBeenCalledWith(reply, expect.objectContaining({ statusCode: 405 }), 405);
  });

  it('logs a server fault at error with its cause, and the client gets no detail', () => {
    const cause = new Error('relation "missing_table" does not exist');
    filter.catch(
      new ServiceUnavailableException('retry later', { cause }),
      host({ method: 'POST', url: '/webhooks', ip: '::1' }),
    );
    expect(error).toHaveBeenCalledWith(expect.objectContaining({ statusCode: 503, err: cause }));
    filter.catch(new TypeError('x is undefined'), host({ method: 'GET', url: '/admin/events', ip: '::1' }));
    expect(adapter.reply).toHaveBeenLastCalledWith(
      reply,
      { statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' },
      500,
    );
    expect(warn).not.toHaveBeenCalled();
  });

  it('logs a deliberate 5xx answer (no cause, e.g. admin disabled) as a refusal at warn', () => {
    filter.catch(
      new ServiceUnavailableException('set ADMIN_API_KEYS'),
      host({ method: 'GET', url: '/admin/events', ip: '::1' }),
    );
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ statusCode: 503, reason: 'set ADMIN_API_KEYS' }));
    expect(error).not.toHaveBeenCalled();
  });

  it('only ends the response when the headers are already sent', () => {
    adapter.isHeadersSent.mockReturnValueOnce(true);
    filter.catch(new BadRequestException(), host({ method: 'GET', url: '/x', ip: '::1' }));
    expect(adapter.end).toHaveBeenCalledWith(reply);
    expect(adapter.reply).not.toHaveBeenCalled();
  });

  it('shortens a huge URL in the log', () => {
    filter.catch(new NotFoundException(), host({ method: 'GET', url: `/${'a'.repeat(5000)}`, ip: '::1' }));
    const [entry] = warn.mock.calls[0] as [{ msg: string }];
    expect(entry.msg.length).toBeLessThan(400);
  });
});
