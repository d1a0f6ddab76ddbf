import { Injectable } from '@nestjs/common';

/**
 * Decides whether events of a type are processed at all. The core processes every type that has
 * a handler; the admin's subscription list (see SubscriptionListPolicy) narrows it down.
 */
@Injectable()
export class EventTypePolicy {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  async processes(_type: string): Promise<boolean> {
    return true;
  }
}
