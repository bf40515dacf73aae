/**
 * What a client has shown of the room's conversation, so that nothing is
 * shown twice across drops: `chat join` and the web page both keep one.
 * After a resume the room replays conversation events from the client's
 * last seq; this keeps any of them from showing again. History shown on a
 * fresh join is older than the welcome and passes untouched.
 */
import { type EventOf, isConversationEvent, isReplayed, type ServerEvent } from "./events.ts";

export class SeenEvents {
  /** The highest conversation seq shown; 0 before any. */
  lastSeq = 0;
  /** History shown on a fresh join has seq up to here and is shown without de-duplication. */
  #historyCeiling = 0;

  /** A welcome came: a fresh join's history is shown as it comes; a resume's replay is checked. */
  welcomed(event: EventOf<"welcome">): void {
    this.#historyCeiling = event.resumed ? 0 : event.seq;
    if (!event.resumed) this.lastSeq = event.seq;
  }

  /** True when `event` was shown before (skip it); otherwise it counts as shown now. */
  alreadyShown(event: ServerEvent): boolean {
    if (!isConversationEvent(event)) return false;
    const seq = event.seq;
    if (isReplayed(event) && seq <= this.#historyCeiling) return false;
    if (seq <= this.lastSeq) return true;
    this.lastSeq = seq;
    return false;
  }
}
