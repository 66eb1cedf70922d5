import { invalidFields } from '../../platform/http/validation.js';

/** Channel and rule names: what `PUT /notifications/channels/:name` and `…/rules/:name` accept. */
export const NAME_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;
export const NAME_MESSAGE = 'must be 1-63 lower-case letters, digits, _ or -, starting with a letter';

/** A channel or rule name from a path, or 400 on `name`. */
export function checkName(name: string): string {
  if (!NAME_PATTERN.test(name)) throw invalidFields([{ field: 'name', errors: [`name ${NAME_MESSAGE}`] }]);
  return name;
}
