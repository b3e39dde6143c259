import { ConfigError } from '../../lambdas/audit/settings';

/** The ConfigError `run` throws; fails the test if it throws nothing or something else. */
export function errorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, but nothing was thrown');
}
