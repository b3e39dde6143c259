/** Counts an SDK client's calls by command, its attempts (retries included) and throttled attempts. */
import type { IAMClient } from '@aws-sdk/client-iam';

const THROTTLING_ERRORS = new Set([
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
]);

export interface CallCounts {
  /** Calls by command name (`ListAccessKeysCommand` → `ListAccessKeys`), each counted once whatever its retries. */
  calls: Record<string, number>;
  totalCalls: number;
  /** HTTP attempts, retries included. */
  attempts: number;
  /** Attempts answered with a throttling error. */
  throttled: number;
}

export class CallCounter {
  private counts: CallCounts = { calls: {}, totalCalls: 0, attempts: 0, throttled: 0 };

  attach(client: Pick<IAMClient, 'middlewareStack'>): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const name = (context.commandName ?? 'Unknown').replace(/Command$/, '');
        this.counts.calls[name] = (this.counts.calls[name] ?? 0) + 1;
        this.counts.totalCalls += 1;
        return next(args);
      },
      { step: 'initialize', name: 'iamKeyAuditorCountCalls' },
    );
    client.middlewareStack.add(
      (next) => async (args) => {
        this.counts.attempts += 1;
        try {
          return await next(args);
        } catch (error) {
          if (THROTTLING_ERRORS.has((error as Error).name)) this.counts.throttled += 1;
          throw error;
        }
      },
      // Inside the retry middleware (finalizeRequest, high priority), outside deserialization: one run per attempt,
      // seeing the service error the attempt ended in.
      { step: 'finalizeRequest', priority: 'low', name: 'iamKeyAuditorCountAttempts' },
    );
  }

  snapshot(): CallCounts {
    return { ...this.counts, calls: { ...this.counts.calls } };
  }
}
