import { buildMessage, ValidateBy } from 'class-validator';
import { contextProblem } from '../cel.js';

const isPlainContext = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * `request.context` of `POST /policies/evaluate` and route selection: a plain object within the bounds
 * every condition's cost assumes; else a 400 naming context and where it is out of bounds.
 */
export function IsPolicyContext(): PropertyDecorator {
  return ValidateBy({
    name: 'isPolicyContext',
    validator: {
      validate: (value) => isPlainContext(value) && contextProblem(value) === null,
      defaultMessage: buildMessage((prefix, args) =>
        isPlainContext(args?.value)
          ? `${prefix}${contextProblem(args?.value)}`
          : `${prefix}$property must be an object`,
      ),
    },
  });
}
