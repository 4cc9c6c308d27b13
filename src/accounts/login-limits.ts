import type { RateLimitRule } from '../ratelimit/index.js';

/** The window of the login limits. */
export const LOGIN_WINDOW_MS = 15 * 60_000;

/** The two limits (GUESTPASS_LOGIN_RATE_LIMIT_PER_IP, GUESTPASS_LOGIN_RATE_LIMIT_PER_ACCOUNT), as numbers. */
export interface LoginLimits {
  loginRateLimitPerIp: number;
  loginRateLimitPerAccount: number;
}

/**
 * Password attempts per IP address: account login and sign-up here, console sign-in in
 * operators/. One key for all of them, so spreading guesses over both doors buys nothing.
 */
export function loginIpRule(limits: LoginLimits, ip: string): RateLimitRule {
  return { key: `account:ip:${ip}`, limit: limits.loginRateLimitPerIp, windowMs: LOGIN_WINDOW_MS, subject: 'this IP address' };
}

/** Password attempts per account, keyed by the address's HMAC so the limiter never holds it; shared like loginIpRule. */
export function loginAccountRule(limits: LoginLimits, accountKey: string): RateLimitRule {
  return { key: `account:login:${accountKey}`, limit: limits.loginRateLimitPerAccount, windowMs: LOGIN_WINDOW_MS, subject: 'this account' };
}
