/** A fixture whose `data` its type's DTO refuses: the inbox would never run a handler on it. */
export class InvalidFixtureError extends Error {
  constructor(type: string, problems: string[]) {
    super(`fixture of ${type} is invalid: ${problems.join('; ')} (pass { unchecked: true } to build it anyway)`);
    this.name = 'InvalidFixtureError';
  }
}

/** A second delivery of the same event changed what the first had left. */
export class NotIdempotentError extends Error {
  constructor(handler: string, difference: string) {
    super(`${handler} is not idempotent: delivering the same event again changed the state.\n${difference}`);
    this.name = 'NotIdempotentError';
  }
}

/** The same events delivered in another order left another state. */
export class OrderSensitiveError extends Error {
  constructor(handler: string, orders: string, difference: string) {
    super(`${handler} depends on the order of its events (${orders}).\n${difference}`);
    this.name = 'OrderSensitiveError';
  }
}

/** A delivery the kit needed to succeed did not. */
export class DeliveryFailedError extends Error {
  constructor(handler: string, type: string, outcome: string, cause?: Error) {
    super(`${handler} did not succeed on ${type}: ${outcome}${cause ? ` (${cause.message})` : ''}`, { cause });
    this.name = 'DeliveryFailedError';
  }
}
