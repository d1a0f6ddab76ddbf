import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * Why a verified request's content was refused (the quarantine's `code`):
 * - `invalid_json`: not one JSON document (empty, a syntax error, trailing data);
 * - `json_too_deep`, `json_too_many_keys`, `json_too_many_array_items`: past WEBHOOK_JSON_MAX_DEPTH,
 *   WEBHOOK_JSON_MAX_KEYS or WEBHOOK_JSON_MAX_ARRAY_ITEMS;
 * - `forbidden_key`: a `__proto__` key, or a `constructor` key holding a `prototype` key;
 * - `invalid_envelope`: `type`, `data`, `id` or `created_at` wrong, or the body not an object;
 * - `unstorable_escape`: a `\u0000` or unpaired surrogate escape, which jsonb cannot hold;
 * - `unstorable_value`: another value Postgres refused (a number beyond numeric's range, …).
 */
export const REJECTION_CODES = [
  'invalid_json',
  'json_too_deep',
  'json_too_many_keys',
  'json_too_many_array_items',
  'forbidden_key',
  'invalid_envelope',
  'invalid_event',
  'unstorable_escape',
  'unstorable_value',
] as const;
export type RejectionCode = (typeof REJECTION_CODES)[number];

/**
 * The quarantine: one row per correctly signed request whose content was refused with a 400. The
 * sender will not send it again, so the bytes are kept exactly as received, for an operator to
 * read, fix with the provider, and delete. Written and read only through RejectionStore.
 */
@Entity({ name: 'webhook_rejections' })
export class WebhookRejectionEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  receivedAt: Date;

  /** The source the request was sent to: `default` for POST /webhooks, else its name. */
  @Column({ type: 'text', default: 'default' })
  source: string;

  @Column({ type: 'text' })
  code: RejectionCode;

  /** The refusal as the sender was told it (the 400's messages, joined by "; "). */
  @Column({ type: 'text' })
  reason: string;

  /** The same request headers an event keeps (ids, timestamp, user agent, sender address). */
  @Column({ type: 'jsonb', default: {} })
  headers: Record<string, string>;

  /** The body exactly as received. */
  @Column({ type: 'bytea' })
  body: Buffer;
}
