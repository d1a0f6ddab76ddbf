/**
 * For `@Transform` on boolean query parameters: "true" and "false" become booleans, anything else
 * is left as it came so that `@IsBoolean` names it in the 400.
 */
export const queryBoolean = ({ value }: { value: unknown }) =>
  value === 'true' ? true : value === 'false' ? false : value;
