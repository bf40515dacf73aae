/**
 * What the page takes from protocol/: the wording every client shows
 * (`eventText`), clock times in the viewer's zone, the event list and the
 * nickname key. `deno task bundle:web` bundles this into web/protocol.js, a
 * plain ES module the browser loads; tests/web_bundle_test.ts fails when
 * the committed bundle is older than the sources.
 */
export { isConversationEvent, isReplayed, parseServerEvent } from "../protocol/events.ts";
export { eventText, GREETING, PASSWORD_GREETING, PASSWORD_PROMPT } from "../protocol/plain.ts";
export { SeenEvents } from "../protocol/seen_events.ts";
export { nicknameKey } from "../protocol/text.ts";
export { formatClock, localTimeZone } from "../protocol/time.ts";
