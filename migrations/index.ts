import { Platform1764000000000 } from './1764000000000-platform.js';
import { Pillars1764000001000 } from './1764000001000-pillars.js';

/** Every migration, in order. Listed explicitly so the same list works compiled and under Jest. */
export const migrations = [Platform1764000000000, Pillars1764000001000];
