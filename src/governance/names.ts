/** Agent ids and capabilities: 1-128 letters, digits or ._:/- characters, starting with a letter or digit (as incidents name them). */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;
export const nameMessage = (field: string) => `${field} must be 1-128 letters, digits or ._:/- characters`;
