import { HOUR_MS, DAY_MS } from '../../shared/time.js';
/** Days of history before an hour can be called unusual: a week's habits show by then. */
const MIN_DAYS = 5;
/** An hour (with its two neighbours) holding less than this share of the sightings is unusual. */
const UNUSUAL_SHARE = 0.05;
/** An hour holding at least this share is named among the usual ones in evidence. */
const USUAL_SHARE = 0.02;

/**
 * A registered user's hours of the day (UTC), as sightings per hour: 48 bytes of counts, one
 * slot per hour. UTC rather than local time: the server knows where a request comes from, not
 * where the person lives, and a habit is the same UTC hours for as long as they stay home.
 */
export interface UsualHours {
  counts: Uint16Array;
  /** Distinct days on which the user was seen, and the last of them (days since the epoch). */
  days: number;
  lastDay: number;
}

export function newUsualHours(): UsualHours {
  return { counts: new Uint16Array(24), days: 0, lastDay: -1 };
}

export function learnHour(hours: UsualHours, time: number): void {
  const day = Math.floor(time / DAY_MS);
  if (day !== hours.lastDay) {
    hours.days++;
    hours.lastDay = day;
  }
  const slot = hourOf(time);
  // Halving keeps the proportions when a slot would overflow 16 bits.
  if (hours.counts[slot] === 0xffff) for (let h = 0; h < 24; h++) hours.counts[h] = hours.counts[h]! >>> 1;
  hours.counts[slot] = hours.counts[slot]! + 1;
}

/**
 * Whether `time` falls in an hour the user is rarely seen at: after MIN_DAYS distinct days,
 * when that hour and its two neighbours hold under UNUSUAL_SHARE of the sightings (the
 * neighbours, so that starting work half an hour early is not news).
 */
export function isUnusualHour(hours: UsualHours, time: number): boolean {
  if (hours.days < MIN_DAYS) return false;
  const slot = hourOf(time);
  const near = hours.counts[(slot + 23) % 24]! + hours.counts[slot]! + hours.counts[(slot + 1) % 24]!;
  return near < UNUSUAL_SHARE * total(hours);
}

/** The user's usual hours as UTC ranges (`"09-18"`: 09:00 to 18:59), for evidence. */
export function usualHourRanges(hours: UsualHours): string[] {
  const floor = USUAL_SHARE * total(hours);
  const usual = Array.from({ length: 24 }, (_, h) => hours.counts[h]! > 0 && hours.counts[h]! >= floor);
  const ranges: string[] = [];
  for (let h = 0; h < 24; h++) {
    if (!usual[h]) continue;
    let end = h;
    while (end + 1 < 24 && usual[end + 1]) end++;
    ranges.push(`${pad(h)}-${pad(end)}`);
    h = end;
  }
  return ranges;
}

export function hourOf(time: number): number {
  return Math.floor((time % DAY_MS) / HOUR_MS);
}

function total(hours: UsualHours): number {
  let sum = 0;
  for (const count of hours.counts) sum += count;
  return sum;
}

function pad(hour: number): string {
  return String(hour).padStart(2, '0');
}
