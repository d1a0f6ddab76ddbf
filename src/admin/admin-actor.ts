import type { AdminCaller } from './auth/admin-identity.js';

/**
 * Who made a change, for records kept with the change itself (the subscriptions' versions): the
 * name the operator typed (if any), then the admin key's name, how it was sent, and from where.
 */
export function adminActor(caller: AdminCaller, typedName?: string): string {
  return `${typedName ? `${typedName} ` : ''}(${caller.name} via ${caller.via}, ${caller.ip})`;
}
