/** `--timeout S` is the total time of a command's exchange with a device, retries included. */
export class DeadlineError extends Error {
  readonly code = 'deadline';
}

/** Resolves like `work`, or rejects with a DeadlineError after `seconds` (then calls `onExpire`). */
export function withDeadline<T>(work: Promise<T>, seconds: number, what: string, onExpire?: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onExpire?.();
      reject(new DeadlineError(`no answer from ${what} within ${seconds} s (--timeout ${seconds}): check the address and that the device is on`));
    }, seconds * 1000);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}
