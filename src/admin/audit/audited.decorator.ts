import {
  applyDecorators,
  CallHandler,
  ExecutionContext,
  HttpException,
  Injectable,
  NestInterceptor,
  SetMetadata,
  UseInterceptors,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants.js';
import type { FastifyRequest } from 'fastify';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { adminCallerOf } from '../auth/admin-identity.js';
import { AdminAuditService } from './admin-audit.service.js';

export const AUDITED_METADATA = 'webhook-inbox:audited';

export interface AuditedMetadata {
  action: string;
  /** How many rows the answer says were touched; omitted when the call does not count them. */
  rowsOf?: (result: unknown) => number | null | undefined;
}

/**
 * Puts a mutating admin route on the audit trail: who, when, what (`action`), the path
 * parameters, query and body, the status answered and how many rows it touched. Refused and
 * failed calls are recorded too, with their status and message.
 *
 * @example
 * @Audited('events.purge', (result: PurgeResultDto) => result.deleted)
 */
export function Audited<Result>(action: string, rowsOf?: (result: Result) => number | null): MethodDecorator {
  const metadata: AuditedMetadata = { action, rowsOf: rowsOf as AuditedMetadata['rowsOf'] };
  return applyDecorators(SetMetadata(AUDITED_METADATA, metadata), UseInterceptors(AuditInterceptor));
}

@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly audit: AdminAuditService,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const metadata = this.reflector.get<AuditedMetadata>(AUDITED_METADATA, context.getHandler());
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const base = {
      caller: adminCallerOf(request),
      action: metadata.action,
      method: request.method,
      path: request.url.split('?')[0],
      params: requestParams(request),
    };
    return from(
      (async () => {
        try {
          const result = await lastValueFrom(next.handle(), { defaultValue: undefined });
          const rows = metadata.rowsOf?.(result);
          await this.audit.record({ ...base, status: this.successStatus(context), rows: rows ?? null });
          return result;
        } catch (error) {
          const status = error instanceof HttpException ? error.getStatus() : 500;
          await this.audit.record({ ...base, status, rows: null, error: messageOf(error) });
          throw error;
        }
      })(),
    );
  }

  /** Nest sets the status after the interceptors have run: read it where Nest will (@HttpCode, else its default). */
  private successStatus(context: ExecutionContext): number {
    const declared = this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler());
    return declared ?? (context.switchToHttp().getRequest<FastifyRequest>().method === 'POST' ? 201 : 200);
  }
}

/** What an audit entry keeps of a call: its path parameters, query and body, as received. */
export function requestParams(request: FastifyRequest): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  const path = request.params as Record<string, unknown> | undefined;
  const query = request.query as Record<string, unknown> | undefined;
  if (path && Object.keys(path).length > 0) params.path = path;
  if (query && Object.keys(query).length > 0) params.query = query;
  if (request.body !== undefined && request.body !== null) params.body = request.body;
  return params;
}

function messageOf(error: unknown): string {
  if (error instanceof HttpException) {
    const response = error.getResponse();
    const message =
      typeof response === 'object' && response !== null ? (response as { message?: unknown }).message : response;
    return Array.isArray(message) ? message.join('; ') : String(message ?? error.message);
  }
  return error instanceof Error ? error.message : String(error);
}
