import { AppError } from '@patchbay/bus';

/** The AppError `promise` rejects with; fails the spec when it resolves or rejects with anything else. */
export async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}
