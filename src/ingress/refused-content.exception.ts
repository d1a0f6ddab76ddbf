import { BadRequestException } from '@nestjs/common';
import type { RejectionCode } from '../inbox/entities/webhook-rejection.entity.js';

/**
 * A 400 for the content of a request that passed the signature check: not JSON, past a JSON
 * limit, not an envelope, or not storable. The sender will not send it again, so the request is
 * quarantined before this answer goes out (see VerifiedBodyInterceptor). `message` lists each
 * problem, as every 400 of the service does.
 */
export class RefusedContentException extends BadRequestException {
  constructor(
    readonly code: RejectionCode,
    readonly problems: string[],
  ) {
    super(problems);
  }

  /** The problems in one line, as they are stored and logged. */
  get reason(): string {
    return this.problems.join('; ');
  }
}
