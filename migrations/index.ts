// Every migration, in order. Listed explicitly (not globbed) so that the app, the CLI and the
// tests load exactly the same set whether they run from TypeScript or from dist/.
import { InboxSchema1764489600000 } from './1764489600000-inbox-schema.js';
import { SubscriptionsSchema1764489700000 } from './1764489700000-subscriptions-schema.js';

export const migrations = [InboxSchema1764489600000, SubscriptionsSchema1764489700000];
