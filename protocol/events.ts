/**
 * The events a room sends to its members, shared by the server (which
 * encodes them) and the `chat join` client (which decodes and renders them).
 *
 * Instants travel as epoch milliseconds (UTC) so each viewer can show them in
 * its own time zone. Conversation events carry a room-wide `seq`, which is
 * what history replay and resume after a drop are keyed on.
 */

/** Events that are part of the room's conversation and carry a sequence number. */
export type ConversationEvent =
  | { type: "message"; seq: number; at: number; from: string; text: string }
  | {
    type: "scheduled";
    seq: number;
    at: number;
    from: string;
    text: string;
    /** Set when the message went out late because the server was down at its time. */
    late?: boolean;
  }
  | { type: "join"; seq: number; at: number; nick: string }
  | { type: "leave"; seq: number; at: number; nick: string; reason: string }
  | { type: "kick"; seq: number; at: number; nick: string; by: string }
  | { type: "rename"; seq: number; at: number; from: string; to: string }
  | { type: "owner"; seq: number; at: number; nick: string };

/** Events addressed to one member. */
export type PrivateEvent =
  | {
    type: "welcome";
    at: number;
    nick: string;
    owner: boolean;
    /** Latest conversation sequence number at the time of joining. */
    seq: number;
    /** Token that lets a structured client resume this session after a drop. */
    resume?: string;
    /** True when the session was resumed rather than newly joined. */
    resumed?: boolean;
  }
  | { type: "nick_refused"; at: number; nick: string; reason: string }
  | {
    type: "whisper";
    at: number;
    from: string;
    to: string;
    text: string;
    /** "in" for the recipient's copy, "out" for the sender's. */
    direction: "in" | "out";
  }
  | { type: "users"; at: number; nicks: string[]; owner: string | null }
  | { type: "notice"; at: number; text: string }
  | { type: "error"; at: number; text: string }
  | { type: "schedule_ok"; at: number; id: number; due: number; text: string }
  | {
    type: "schedules";
    at: number;
    items: { id: number; due: number; from: string; text: string }[];
  }
  | { type: "kicked"; at: number; text: string }
  | { type: "bye"; at: number; reason: string };

/** A conversation event replayed from history or after a resume. */
export type ReplayedEvent = ConversationEvent & { history: true };

export type ServerEvent = ConversationEvent | PrivateEvent | ReplayedEvent;

/** Event types that carry a `seq` and belong to the room's conversation. */
export const CONVERSATION_TYPES: ReadonlySet<string> = new Set([
  "message",
  "scheduled",
  "join",
  "leave",
  "kick",
  "rename",
  "owner",
]);

/** Messages a structured client sends after the handshake line. */
export type ClientMessage =
  | {
    type: "nick";
    nick: string;
    /** Resume token from an earlier `welcome`. */
    resume?: string;
    /** Last conversation `seq` the client has shown. */
    lastSeq?: number;
  }
  | { type: "say"; text: string };

/** The first line a structured client sends; no nickname can look like it. */
export const JSON_HANDSHAKE = "CHAT/1 json";
