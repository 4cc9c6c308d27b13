/**
 * When the attempt after `attemptsMade` failed attempts is due, or undefined when the schedule
 * is spent (the message has failed). `schedule[n]` is the delay before attempt n+1; each delay
 * is varied by ±20% so that retries of many messages that failed together do not return
 * together (the receiver that just came back is not hit by all of them in one second).
 */
export function nextAttemptAt(schedule: readonly number[], attemptsMade: number, now: number, random: () => number = Math.random): number | undefined {
  const delaySeconds = schedule[attemptsMade];
  if (delaySeconds === undefined) return undefined;
  return now + Math.round(delaySeconds * 1000 * (0.8 + 0.4 * random()));
}
