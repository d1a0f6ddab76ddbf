import { CanActivate, ExecutionContext, Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { WEBHOOK_INBOX_OPTIONS, type WebhookInboxOptions } from '../../inbox/webhook-inbox.options.js';
import type { WebhookVerifier } from '../../shared/signature/webhook-verifier.js';
import { buildVerifier, type WebhookSource } from '../../shared/sources/webhook-source.js';

export interface ServedSource {
  source: WebhookSource;
  /** Undefined for `none`. */
  verifier?: WebhookVerifier;
}

/** The sources served at POST /webhooks/<name>, with their verifiers built once at boot. */
@Injectable()
export class WebhookSources {
  private readonly byName: Map<string, ServedSource>;

  constructor(@Inject(WEBHOOK_INBOX_OPTIONS) options: WebhookInboxOptions) {
    this.byName = new Map(options.sources.map((source) => [source.name, { source, verifier: buildVerifier(source) }]));
  }

  /** The source, or a 404 naming the ones there are. */
  get(name: string): ServedSource {
    const served = this.byName.get(name);
    if (!served) {
      const known = [...this.byName.keys()].join(', ') || 'none besides POST /webhooks';
      throw new NotFoundException(`no webhook source named "${name.slice(0, 40)}" (configured: ${known})`);
    }
    return served;
  }
}

/** POST /webhooks/<source>: 404 for a source that is not configured, before any other check. */
@Injectable()
export class KnownSourceGuard implements CanActivate {
  constructor(private readonly sources: WebhookSources) {}

  canActivate(context: ExecutionContext): boolean {
    const name = (context.switchToHttp().getRequest<FastifyRequest>().params ?? {}) as { source?: string };
    if (name.source !== undefined) this.sources.get(name.source);
    return true;
  }
}
