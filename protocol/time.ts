/**
 * Clock times: the `[HH:MM]` stamps, and reading `HH:MM` as the next such
 * instant. Both take an optional IANA time zone (`Asia/Seoul`); without one
 * they use this process's own zone, which is the viewer's for `chat join`
 * and the server's for plain clients.
 */

/** "HH:MM" of an instant, in `timeZone` or this process's zone. */
export function formatClock(at: number, timeZone?: string): string {
  if (timeZone === undefined) {
    const date = new Date(at);
    return `${pad2(date.getHours())}:${pad2(date.getMinutes())}`;
  }
  const { hour, minute } = wallClock(at, timeZone);
  return `${pad2(hour)}:${pad2(minute)}`;
}

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;
const MONTHS = [
  "Jan",
  "Feb",
  "Mar",
  "Apr",
  "May",
  "Jun",
  "Jul",
  "Aug",
  "Sep",
  "Oct",
  "Nov",
  "Dec",
] as const;

/**
 * When `due` is, seen from `now`, in this process's zone: "09:30" today,
 * "tomorrow at 09:30", or "Sat 29 Nov at 09:30" further ahead.
 */
export function formatDue(due: number, now: number): string {
  const clock = formatClock(due);
  const dueDay = new Date(due);
  const today = new Date(now);
  dueDay.setHours(0, 0, 0, 0);
  today.setHours(0, 0, 0, 0);
  const days = Math.round((dueDay.getTime() - today.getTime()) / 86_400_000);
  if (days <= 0) return clock;
  if (days === 1) return `tomorrow at ${clock}`;
  const date = new Date(due);
  return `${WEEKDAYS[date.getDay()]} ${date.getDate()} ${MONTHS[date.getMonth()]} at ${clock}`;
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

/**
 * The first instant after `now` whose clock in `timeZone` (or this process's
 * zone) reads hours:minutes. A time that a daylight-saving change skips that
 * day is read on the clock after the change (02:30 becomes 03:30).
 */
export function nextOccurrence(
  now: number,
  hours: number,
  minutes: number,
  timeZone?: string,
): number {
  if (timeZone === undefined) {
    const date = new Date(now);
    date.setHours(hours, minutes, 0, 0);
    if (date.getTime() <= now) date.setDate(date.getDate() + 1);
    return date.getTime();
  }
  const today = wallClock(now, timeZone);
  for (let days = 0; days <= 2; days++) {
    const due = instantOf(today.year, today.month, today.day + days, hours, minutes, timeZone);
    if (due > now) return due;
  }
  // Unreachable: two days ahead is always later than now.
  return now + 86_400_000;
}

/** Whether `timeZone` names a zone this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  if (timeZone === "" || timeZone.length > 64) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** This process's IANA time zone, as `chat join` tells the room. */
export function localTimeZone(): string | undefined {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** What a clock on the wall in `timeZone` reads at instant `at`. */
function wallClock(at: number, timeZone: string): WallClock {
  // Built per call: zoned times are only needed for an occasional /schedule.
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  });
  const parts: Record<string, number> = {};
  for (const part of format.formatToParts(at)) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year,
    month: parts.month,
    day: parts.day,
    hour: parts.hour,
    minute: parts.minute,
    second: parts.second,
  };
}

/** The zone's offset from UTC at instant `at`, in ms. */
function offsetAt(at: number, timeZone: string): number {
  const wall = wallClock(at, timeZone);
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  return asUtc - Math.floor(at / 1000) * 1000;
}

/** The instant a wall clock in `timeZone` reads the given date and time (days may overflow). */
function instantOf(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  timeZone: string,
): number {
  const asUtc = Date.UTC(year, month - 1, day, hour, minute);
  // The offset before and after a daylight-saving change give two candidates.
  const first = asUtc - offsetAt(asUtc, timeZone);
  const second = asUtc - offsetAt(first, timeZone);
  const reads = (at: number) => {
    const wall = wallClock(at, timeZone);
    return wall.hour === hour && wall.minute === minute;
  };
  const matching = [first, second].filter(reads);
  // A time that occurs twice (clocks go back) is its first occurrence; one
  // that never occurs (clocks go forward) is read on the clock after the jump.
  return matching.length > 0 ? Math.min(...matching) : Math.max(first, second);
}
