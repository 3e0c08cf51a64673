/*
 * A failure read at a glance: "ExcType: message" from a task's result as the API shows it
 * (already masked by the API's redaction, so it shows no more than the result does).
 */

/** Return "ExcType: message" of a stored exception, or null when ``result`` holds none. */
export function failureText(result) {
  if (result === null || typeof result !== "object" || typeof result.exc_type !== "string") return null;
  const message = result.exc_message;
  let text;
  if (Array.isArray(message)) text = message.map((part) => (typeof part === "string" ? part : JSON.stringify(part))).join(", ");
  else if (message === null || message === undefined) text = "";
  else text = typeof message === "string" ? message : JSON.stringify(message);
  return text ? `${result.exc_type}: ${text}` : result.exc_type;
}
