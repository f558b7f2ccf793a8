/**
 * A setting the hub cannot run with (a missing or malformed environment variable, a bad config
 * file): the one error type every composition root throws, so a caller (the local hub's start, a
 * test) tells a configuration mistake from a failure by one `instanceof`.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
