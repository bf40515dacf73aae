/** Clock times as shown in `[HH:MM]` stamps. */

/** "HH:MM" of an instant in the local time zone of this process. */
export function formatClock(at: number): string {
  const date = new Date(at);
  return `${pad2(date.getHours())}:${pad2(date.getMinutes())}`;
}

function pad2(value: number): string {
  return value < 10 ? `0${value}` : `${value}`;
}

/** Parses "HH:MM" (24-hour) into hours and minutes, or null. */
export function parseClock(text: string): { hours: number; minutes: number } | null {
  const match = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(text);
  if (!match) return null;
  return { hours: Number(match[1]), minutes: Number(match[2]) };
}

/** The next instant after `now` whose local clock reads hours:minutes. */
export function nextOccurrence(now: number, hours: number, minutes: number): number {
  const date = new Date(now);
  date.setHours(hours, minutes, 0, 0);
  if (date.getTime() <= now) date.setDate(date.getDate() + 1);
  return date.getTime();
}
