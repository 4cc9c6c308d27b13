// The detection corpus: strings pattern_scrub must redact, each with its exact
// expected output, and look-alikes it must leave untouched. Test card numbers are the networks'
// published test numbers; keys and tokens are made up in the vendors' formats; phone numbers use
// ranges reserved for fiction (555-01xx, Ofcom's 020 7946 0xxx, 07700 900xxx) where they exist.
import { Buffer } from 'node:buffer';
import type { PatternKind } from './detect/kinds.js';

export interface Positive {
  text: string;
  /** The exact text after scrubbing. */
  out: string;
  /** What must be reported, one entry per occurrence (order not significant). */
  kinds: PatternKind[];
}

const R = (kind: PatternKind): string => `[redacted:${kind}]`;
/** A value that is nothing but one finding. */
const whole = (kind: PatternKind, ...texts: string[]): Positive[] => texts.map((text) => ({ text, out: R(kind), kinds: [kind] }));
/** A finding inside text; `out` uses {} for the redaction. */
const inside = (kind: PatternKind, text: string, out: string): Positive => ({ text, out: out.replaceAll('{}', R(kind)), kinds: [...out.matchAll(/\{\}/g)].map(() => kind) });

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const jws = (header: object, payload: object, signature: string): string => `${b64url(header)}.${b64url(payload)}.${signature}`;
const JWT_HS256 = jws({ alg: 'HS256', typ: 'JWT' }, { sub: '1234567890', name: 'John Doe', iat: 1516239022 }, 'SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c');
const JWT_AT = jws(
  { alg: 'ES256', typ: 'at+jwt', kid: 'k_2026_11' },
  { iss: 'https://auth.example.com', sub: '01932c07-209c-7b0e-8f3a-5d2e6c1b9a47', aud: 'https://api.example.com', scope: 'telemetry:write', is_anonymous: true },
  'MEUCIQDq3Xk9mP2qL7vN4wR8tY3zB6cD1fG5hJ0sAiBk7Lm2Nn4Pp6Qq8Rr0Ss2Tt4Uu6Vv8Ww0Xx2Yy4Zz',
);
const JWT_NONE = `${b64url({ alg: 'none' })}.${b64url({ sub: 'guest' })}.`;
const JWE_DIR = `${b64url({ alg: 'dir', enc: 'A256GCM' })}..48V1_ALb6US04U3b.5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX_EFShS8iB7j6jiSdiwkIr3ajwQzaBtQD_A.XFBoMYUZodetZdvTiFvSkQ`;

export const POSITIVES: readonly Positive[] = [
  // e-mail addresses
  ...whole('email', 'jane@example.com', 'jane.doe+newsletter@example.com', 'JANE.DOE@EXAMPLE.COM', 'j_doe-99@mail.eu.example.co.uk', 'first.last@sub.domain.example.technology'),
  ...whole('email', 'x@y.io', "o'brien@example.ie", 'josé.garcía@exämple.es', '用户@例子.广告', 'info@xn--bcher-kva.example', 'admin@xn--80ak6aa92e.com', 'user%40example.com'),
  inside('email', 'Contact me at jane@example.com, thanks', 'Contact me at {}, thanks'),
  inside('email', 'mailto:jane@example.com', 'mailto:{}'),
  inside('email', "'jane@example.com'", "'{}'"),
  inside('email', '<jane@example.com>', '<{}>'),
  inside('email', 'User jane@example.com not found', 'User {} not found'),
  inside('email', 'to: a@example.com; cc: b@example.org', 'to: {}; cc: {}'),
  inside('email', 'https://app.example.com/users/jane%40example.com/profile', 'https://app.example.com/users/{}/profile'),
  inside('email', 'invite sent to jane.doe+tag@example.co.uk.', 'invite sent to {}.'),
  inside('email', 'Email: JOHN.SMITH@Company.COM', 'Email: {}'),
  // phone numbers
  ...whole('phone', '+44 20 7946 0958', '+1-202-555-0143', '+1 (555) 123-4567', '+442079460958', '+33 1 23 45 67 89', '+49 (0)30 1234567', '+49 30 12345678'),
  ...whole('phone', '+91 98765 43210', '+81 3-1234-5678', '+86 138 0013 8000', '+61 2 9876 5432', '+55 11 91234-5678', '+353 1 234 5678', '+1.202.555.0143'),
  ...whole('phone', '(555) 123-4567', '(555)123-4567', '555-123-4567', '555.123.4567', '555 123 4567', '1-800-555-0199', '1 800 555 0199'),
  ...whole('phone', '020 7946 0958', '(020) 7946 0958', '07700 900123', '01632 960983', '01 23 45 67 89', '06.12.34.56.78', '06-12-34-56-78', '030 1234567', '030/1234567', '0171-1234567'),
  inside('phone', 'Call me on +44 20 7946 0958 tomorrow', 'Call me on {} tomorrow'),
  inside('phone', 'tel:+1-202-555-0143', 'tel:{}'),
  inside('phone', 'phone: (555) 123-4567.', 'phone: {}.'),
  inside('phone', 'Customer 555-123-4567 called twice', 'Customer {} called twice'),
  inside('phone', 'SMS to +15551234567 failed', 'SMS to {} failed'),
  inside('phone', 'Ruf an: 030 1234567', 'Ruf an: {}'),
  inside('phone', 'https://wa.me/+447700900123', 'https://wa.me/{}'),
  inside('phone', 'Call 555 123 4567 or 555 987 6543', 'Call {} or {}'),
  inside('phone', '{"phone":"+1 202 555 0143"}', '{"phone":"{}"}'),
  ...whole('phone', '+44 (0) 20 7946 0958', '+1 (555) 010-9999'),
  // IPv4
  ...whole('ipv4', '192.168.1.20', '10.0.0.1', '8.8.8.8', '203.0.113.195', '255.255.255.255', '172.16.254.1'),
  inside('ipv4', '203.0.113.7:8443', '{}:8443'),
  inside('ipv4', 'client 198.51.100.23 blocked', 'client {} blocked'),
  inside('ipv4', 'X-Forwarded-For: 203.0.113.195, 70.41.3.18', 'X-Forwarded-For: {}, {}'),
  inside('ipv4', 'ip=8.8.4.4', 'ip={}'),
  inside('ipv4', 'http://192.168.0.10/admin', 'http://{}/admin'),
  inside('ipv4', 'connect ECONNREFUSED 10.12.0.5:5432', 'connect ECONNREFUSED {}:5432'),
  inside('ipv4', 'subnet 192.168.1.0/24', 'subnet {}/24'),
  inside('ipv4', 'via proxy/10.1.2.3', 'via proxy/{}'),
  inside('ipv4', 'upgrade to 1.2.3.4', 'upgrade to {}'),
  inside('ipv4', 'IPv4 address 192.0.2.1.', 'IPv4 address {}.'),
  // IPv6
  ...whole('ipv6', '2001:db8::1', '2001:0db8:85a3:0000:0000:8a2e:0370:7334', '2001:db8:85a3::8a2e:370:7334', '::ffff:192.0.2.128', '2a02:1234:abcd::5', 'FE80::1', '2001:DB8::FF00:42:8329', '1:2:3:4:5:6:7:8'),
  inside('ipv6', 'fe80::1ff:fe23:4567:890a%eth0', '{}%eth0'),
  inside('ipv6', '[2001:db8::42]:443', '[{}]:443'),
  inside('ipv6', 'https://[2001:db8::7]/status', 'https://[{}]/status'),
  inside('ipv6', 'peer 2001:db8:1234::abcd disconnected.', 'peer {} disconnected.'),
  inside('ipv6', 'addr=2606:4700:4700::1111', 'addr={}'),
  ...whole('ipv6', '0:0:0:0:0:ffff:192.0.2.1', '2001:db8:0:0:1:0:0:1', '2001:db8::'),
  // card numbers (published test numbers; all pass Luhn)
  ...whole('card_number', '4111111111111111', '4242424242424242', '4012888888881881', '4222222222222', '4000056655665556', '4111111111111111003'),
  ...whole('card_number', '5555555555554444', '5105105105105100', '2223003122003222', '5200828282828210'),
  ...whole('card_number', '378282246310005', '371449635398431', '6011111111111117', '6011000990139424', '30569309025904', '38520000023237'),
  ...whole('card_number', '3530111333300000', '3566002020360505', '6200000000000005', '6759649826438453'),
  ...whole('card_number', '4111 1111 1111 1111', '4242-4242-4242-4242', '3782 822463 10005', '3056 930902 5904', '5555 5555 5555 4444'),
  inside('card_number', 'card 4111 1111 1111 1111 exp 12/28', 'card {} exp 12/28'),
  inside('card_number', 'pan=5555555555554444;', 'pan={};'),
  inside('card_number', 'Visa 4111-1111-1111-1111 expired', 'Visa {} expired'),
  ...whole('card_number', '3782-822463-10005'),
  inside('card_number', '4111 1111 1111 1111 2026', '{} 2026'),
  inside('card_number', 'Payment for #4242424242424242 declined', 'Payment for #{} declined'),
  // JWTs (JWS and JWE compact forms)
  ...whole('jwt', JWT_HS256, JWT_AT, JWT_NONE, JWE_DIR),
  inside('jwt', `id_token=${JWT_HS256}`, 'id_token={}'),
  inside('jwt', `session ${JWE_DIR} expired`, 'session {} expired'),
  inside('jwt', `https://app.example.com/magic/${JWT_AT}`, 'https://app.example.com/magic/{}'),
  inside('jwt', `Authorization: Bearer ${JWT_AT}`, 'Authorization: Bearer {}'),
  // bearer secrets: vendor formats, auth headers, key=value, opaque random tokens
  ...whole('bearer_secret', 'sk_live_4eC39HqLyjWDarjtT1zdp7dc', 'sk_test_51HqLyjWDarjtT1zdp7dcXk9mP2qL', 'rk_live_51Hx2kLm3Np4Qr5St6Uv7Wx8Yz', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'),
  ...whole('bearer_secret', 'ghs_16C7e42F292c6912E7710c838347Ae178B4a', 'ghp_16C7e42F292c6912E7710c838347Ae178B4a', 'gho_16C7e42F292c6912E7710c838347Ae178B4a', 'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGH'),
  ...whole('bearer_secret', 'AKIAIOSFODNN7EXAMPLE', 'ASIAY34FZKBOKMUTVV7A', 'AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY', 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx'),
  ...whole('bearer_secret', 'glpat-Xk9mP2qL7vN4wR8tY3zB', 'npm_Xk9mP2qL7vN4wR8tY3zB6cD1fG5hJ0sA1bC2', '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'),
  ...whole('bearer_secret', 'sk-proj-Xk9mP2qL7vN4wR8tY3zB6cD1fG5hJ0sA', 'sk-ant-api03-Xk9mP2qL7vN4wR8tY3zB6cD1fG5hJ0sA-aBcD'),
  ...whole('bearer_secret', 'Xk9mP2qL7vN4wR8tY3zB6cD1fG5hJ0sAaQ', 'dGhpcyBpcyBhIHNlY3JldCB0b2tlbiBmb3IgdGVzdGluZw', 'q8W3zR5tY7uI9oP1aS3dF5gH7jK9lZ2xC4vB6nM8', 'org_2NmZx9YkP3xQ7LpR8vT4wB6cD1fG'),
  inside('bearer_secret', 'Authorization: Bearer abc123def456ghi789', 'Authorization: Bearer {}'),
  inside('bearer_secret', 'bearer 9f8e7d6c5b4a39281706f5e4', 'bearer {}'),
  inside('bearer_secret', 'Authorization: Basic dXNlcjpwYXNz', 'Authorization: Basic {}'),
  inside('bearer_secret', 'Authorization: DPoP Xk9mP2qL7vN4wR8t', 'Authorization: DPoP {}'),
  inside('bearer_secret', 'password=hunter2', 'password={}'),
  inside('bearer_secret', 'login failed for pwd=correcthorse', 'login failed for pwd={}'),
  inside('bearer_secret', '{"password":"hunter2","remember":true}', '{"password":"{}","remember":true}'),
  inside('bearer_secret', 'x-api-key: 0f5e8c2a9b7d4e1f', 'x-api-key: {}'),
  inside('bearer_secret', 'client_secret=abcdefghij', 'client_secret={}'),
  inside('bearer_secret', 'csrftoken=Q2x9aZ7bY3', 'csrftoken={}'),
  inside('bearer_secret', 'aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'aws_secret_access_key={}'),
  inside('bearer_secret', 'Cookie: session=s%3Aab12cd34; theme=dark', 'Cookie: {}; theme=dark'),
  inside('bearer_secret', 'reset link /reset/Xk9mP2qL7vN4wR8tY3zB6cD1fG5hJ0sAaQ used twice', 'reset link /reset/{} used twice'),
  inside('bearer_secret', 'key 9Zk2mP7qL4vN8wR1tY6zB3cD5fG0hJsAq+Tb/xE4nM7pR2= rejected', 'key {} rejected'),
  inside('bearer_secret', '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx4', '{}'),
  inside('bearer_secret', 'got -----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY----- in body', 'got {} in body'),
  // several kinds in one message
  {
    text: 'Checkout failed for jane@example.com from 203.0.113.9 with card 4242 4242 4242 4242',
    out: `Checkout failed for ${R('email')} from ${R('ipv4')} with card ${R('card_number')}`,
    kinds: ['email', 'card_number', 'ipv4'],
  },
  {
    text: `POST https://api.example.com/v1/users failed: token ${JWT_HS256} phone +1-202-555-0143`,
    out: `POST https://api.example.com/v1/users failed: token ${R('jwt')} phone ${R('phone')}`,
    kinds: ['jwt', 'phone'],
  },
];

/** Strings that must pass untouched, as prop values and as error messages. */
export const LOOKALIKES: readonly string[] = [
  // versions
  '1.2.3', 'v10.0.19045.2006', '10.0.19045.2006', '2.0.0-rc.1+build.5', '1.0.0-alpha.1', 'v1.2.3.4', 'version 1.2.3.4', 'ver: 2.3.4.5',
  'build 2026.11.26.1', '0.9.1.2', 'iOS 17.4.1', 'Android 14; Pixel 8', 'Windows NT 10.0; Win64; x64', 'Mac OS X 10_15_7',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  'CFNetwork/1490.0.4 Darwin/23.2.0', 'Edg/120.0.2210.91', 'node v20.19.2', '^1.2.3', '>=2.0.0 <3.0.0-0', '~4.17.21 || ^5.0.0',
  // dates and timestamps
  '2026-11-26', '26/11/2026', '11-26-2026', '26.11.2026', '2026/11/26', '01-02-2026', '05.11.2026', 'Nov 26, 2026', '20261126',
  '2026-11-26 06:45:04', '2026-11-26T06:45:04.123Z', '2026-11-26T06:45:04+01:00', 'Thu, 26 Nov 2026 06:45:04 GMT', '2026-W48-4',
  '1764139504123', '1764139504', '12:30:45', '06:45', '00:01:30.500',
  // latencies, durations, numbers, money
  '123ms', '1.5s', 'latency=250ms p95=1200ms', 'took 1234 ms', 'Timeout of 30000ms exceeded', 'PT1H30M', 'P3DT4H', '2h 15m 30s',
  '99.95%', '+12.5%', '-3.4%', '$1,299.99', '€49,90', '1 299,00 €', 'USD 12345.67', '3.14159', '6.022e23', '1e+10', '1 234 567',
  '12345678901234567890', '42', '-1', '0.000123', '+1', '+100.00',
  // ids
  'f47ac10b-58cc-4372-a567-0e02b2c3d479', '01932c07-209c-7b0e-8f3a-5d2e6c1b9a47', 'F47AC10B-58CC-4372-A567-0E02B2C3D479', '550e8400-e29b-41d4-a716-446655440000',
  '9fceb02d0ae598e95dc970b74767f19372d61af8', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', '4bf92f3577b34da6a3ce929d0e0e4736',
  '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', '01HF3Z9X8K2M4N6P7Q8R9S0T1V', 'user_01HF3Z9X8K2M4N6P7Q8R9S0T1V', 'cus_NffrFeUfNV2Hib',
  'pi_3MtwBwLkdIwHu7ix28a3tqPa', 'ORD-2026-000123', '#100234', 'order 100234 shipped', 'PO-4500012345',
  'INV-2026-11-000042', 'SKU-4411-BLK-XL', 'AB-12345-XYZ', 'SKU 1002-334-12', 'ISBN 978-3-16-148410-0', 'ticket GP-1234',
  // card-length numbers that are not cards
  '4111111111111112', '4242 4242 4242 4241', '5555-5555-5555-4445', '378282246310006', '1234567890123456', '9999999999999995', '0000 0000 0000 0000',
  // network look-alikes
  'localhost:4455', 'http://localhost:3000/cart', '127.0.0.1:8080', 'connect ECONNREFUSED 127.0.0.1:5432', '0.0.0.0', 'listening on :::8080', '::1',
  'std::vector<int>', 'Foo::Bar', 'Abc::Def', 'net::ERR_CONNECTION_RESET', '00:1a:2b:3c:4d:5e', 'Cache::Fade', 'MAC 00:1A:2B:3C:4D:5E',
  '1.2.3.4.5', '192.168.1', '10:00-12:00', '9:30–17:00', '16:9', 'ratio 3:2:1', '48.8566, 2.3522',
  // colours, paths, code
  '#1e90ff', '#FFF', 'rgb(255, 99, 71)', 'rgba(0,0,0,0.5)', 'calc(100% - 24px)', '/var/log/app/2026-11-26.log', 'C:\\Program Files\\Guestpass\\gp.exe',
  'src/telemetry/privacy/detect/phone.ts:42:17', 'at Object.<anonymous> (/app/dist/index.js:10:5)', './node_modules/.pnpm/react-dom@18.3.1/node_modules/react-dom/cjs/react-dom.development.js',
  '@scope/pkg@1.2.3', 'lodash@4.17.21', 'next@latest', 'assets/logo@2x.png', 'icons/star@1.5x.webp', '/products/42', '/checkout/step-2',
  'src/components/CheckoutForm/PaymentStep2/index.tsx', 'Html5VideoPlayerWebGL2RenderingContext', 'UIApplicationDidBecomeActiveNotification2024',
  'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=', 'checkout_page_view_with_promo_code_2026_Q4_EU',
  // HTTP and log messages
  'HTTP/1.1 404 Not Found', 'HTTP/2 200', 'HTTP/1.1 301 Moved Permanently', 'Error 503 Service Unavailable', 'Request failed with status code 500',
  "TypeError: Cannot read properties of undefined (reading 'map')", 'ReferenceError: foo is not defined', 'Uncaught (in promise) AbortError: The user aborted a request.',
  'NetworkError when attempting to fetch resource.', 'Failed to load resource: net::ERR_CONNECTION_RESET', "ENOENT: no such file or directory, open '/var/app/config.json'",
  'Maximum update depth exceeded', 'connect ETIMEDOUT', 'QuotaExceededError: The quota has been exceeded.',
  // words around secrets that are not secrets
  'Bearer token missing', 'Basic authentication required', 'Token expired', 'Invalid token', 'password: required', 'password must be at least 8 characters',
  'tokens_used=1532', 'max_tokens: 4096', 'prompt_tokens=812 completion_tokens=96', 'token_count=12', 'max_token=2048', 'WWW-Authenticate: Bearer realm="api"',
  'sk-learn-compatible-model-export', 'task-runner-2026', 'passwordless=true',
  // product analytics values
  'checkout', 'en-US', 'premium', 'button_click', 'dark', 'true', 'SUMMER-2026-SALE', 'WELCOME10', 'new_checkout_v2', 'exp-2026-q4-pricing-b',
  'PT0.5S', 'B07XJ8C8F5', 'Ticket #5551234', '{F47AC10B-58CC-4372-A567-0E02B2C3D479}', '1,5 MB', 'aGVsbG8=', 'Total: 1,234,567,890',
  'Jane', 'Sign up with Google', 'Added 3 items to cart', 'Step 2 of 5', 'Call me maybe', '1-2-3', '100-200', 'Room 101, floor 3',
];

/** Four-part versions that are redacted as addresses in free text but pass in version fields. */
export const VERSION_FIELD_VALUES: readonly string[] = ['1.2.3.4', '10.0.0.1', '4.4.2.1', '6.1.0.255'];
