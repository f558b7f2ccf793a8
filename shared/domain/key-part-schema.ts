import { z } from 'zod';
import { KEY_PART_MAX_BYTES, KEY_PART_PATTERN, keyPartBytes } from '#shared/domain/key-part.ts';

/** The rule as a schema, for the HTTP API's parameters and bodies and for stored configuration. */
export const KeyPartSchema = z
  .string()
  .min(1)
  .max(KEY_PART_MAX_BYTES)
  .regex(KEY_PART_PATTERN, 'must not contain "#", "|" or control characters')
  .refine((v) => keyPartBytes(v) <= KEY_PART_MAX_BYTES, `must be at most ${KEY_PART_MAX_BYTES} bytes (UTF-8)`);
