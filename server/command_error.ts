/**
 * The error a command raises for a mistake its user made (an unknown nick,
 * a bad time, a missing argument). The room turns it into a private error
 * line for that user; it never travels further.
 */
export class CommandError extends Error {
  override name = "CommandError";
}
