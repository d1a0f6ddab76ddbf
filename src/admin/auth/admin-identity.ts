import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { AdminIdentity } from './admin-auth.js';

/**
 * The identity the edge hook established for a request, kept beside the raw request (which the
 * hook and Nest's handlers both see) rather than as a Fastify request decoration, so the hook
 * can run on any Fastify instance.
 */
const identities = new WeakMap<IncomingMessage, AdminIdentity>();

export function rememberAdminIdentity(raw: IncomingMessage, identity: AdminIdentity): void {
  identities.set(raw, identity);
}

export function adminIdentityOf(request: Pick<FastifyRequest, 'raw'>): AdminIdentity | undefined {
  return identities.get(request.raw);
}

/** Who is calling and from where, as the audit records it. */
export interface AdminCaller extends AdminIdentity {
  ip: string;
}

export function adminCallerOf(request: FastifyRequest): AdminCaller {
  const identity = adminIdentityOf(request);
  // Every /admin route passes the edge hook, so a missing identity means a route outside it.
  return { name: identity?.name ?? 'unauthenticated', via: identity?.via ?? 'bearer', ip: request.ip };
}

/** The admin making this request (`@Caller() caller: AdminCaller`). */
export const Caller = createParamDecorator((_data: unknown, context: ExecutionContext): AdminCaller =>
  adminCallerOf(context.switchToHttp().getRequest<FastifyRequest>()),
);
