import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keyInfo, keyWords } from './detect/key-names.js';
import { runPrivacyPipeline } from './index.js';

const IDENTIFIER_KEYS = [
  // contact
  'email',
  'Email',
  'EMAIL',
  'e_mail',
  'e-mail',
  'eMail',
  'userEmail',
  'user_email',
  'email_address',
  'emailAddress',
  'contact_email',
  'billing.email',
  'phone',
  'phoneNumber',
  'phone_number',
  'mobile',
  'mobile_number',
  'mobileNo',
  'cell_phone',
  'tel',
  'telephone',
  'fax',
  'msisdn',
  // person
  'name',
  'Name',
  'first_name',
  'firstName',
  'FIRSTNAME',
  'lastName',
  'last_name',
  'full_name',
  'fullName',
  'display_name',
  'displayName',
  'surname',
  'username',
  'user_name',
  'userName',
  'customer_name',
  'cardholder_name',
  'device_name',
  'nickname',
  'dob',
  'date_of_birth',
  'dateOfBirth',
  'birthdate',
  'birthday',
  'birth_year',
  'ssn',
  'SSN',
  'social_security_number',
  'passport_number',
  'iban',
  'IBAN',
  'national_id',
  // place
  'address',
  'billing_address',
  'shippingAddress',
  'address_line1',
  'street',
  'zip',
  'zip_code',
  'zipCode',
  'postcode',
  'postal_code',
  'latitude',
  'longitude',
  'geolocation',
  // network and device
  'ip',
  'IP',
  'ip_address',
  'ipAddress',
  'IPAddress',
  'client_ip',
  'clientIP',
  'x-real-ip',
  'X-Forwarded-For',
  'remote_addr',
  'ipv6',
  'userIPv6',
  'imei',
  'idfa',
  'advertising_id',
  // secrets
  'password',
  'Password',
  'passwd',
  'pwd',
  'new_password',
  'passphrase',
  'token',
  'access_token',
  'accessToken',
  'refresh_token',
  'x-auth-token',
  'X-Auth-Token',
  'csrfToken',
  'id_token',
  'secret',
  'client_secret',
  'api_key',
  'apiKey',
  'APIKey',
  'x-api-key',
  'private_key',
  'authorization',
  'cookie',
  'jwt',
  'otp',
  // payment
  'card',
  'card_number',
  'cardNumber',
  'credit_card',
  'creditCard',
  'cc_number',
  'cvv',
  'account_number',
  'routing_number',
];

const ORDINARY_KEYS = [
  // names of things, not people
  'event_name',
  'plan_name',
  'feature_name',
  'screen_name',
  'file_name',
  'filename',
  'hostname',
  'host_name',
  'app_name',
  'page_name',
  'product_name',
  'browser_name',
  'os_name',
  'hotel_name',
  'client_name',
  // words that contain a term without being one
  'tip',
  'tip_amount',
  'ship_method',
  'shipping_method',
  'description',
  'recipe',
  'zipper',
  'gzip',
  'vip_level',
  'skip_intro',
  'multiple',
  'telemetry',
  'hotel',
  'scorecard',
  'secretary',
  'mailing_list',
  'tokenizer',
  'passport_country',
  // LLM usage counters
  'token_count',
  'tokenCount',
  'tokens_used',
  'token_usage',
  'prompt_tokens',
  'completion_tokens',
  'max_tokens',
  'total_tokens',
  'token_type',
  // attributes of an identifier, not the identifier
  'email_verified',
  'has_email',
  'is_mobile',
  'mobile_layout',
  'card_position',
  'card_type',
  'card_brand',
  'password_length',
  'password_strength',
  'ip_country',
  'ipCountry',
  'ip_version',
  'phone_country',
  'name_length',
  'address_type',
  'num_emails',
  // everyday analytics keys
  'duration_ms',
  'step',
  'plan',
  'variant',
  'locale',
  'referrer',
  'utm_source',
  'button_id',
  'page_title',
  'login_method',
  'shipping_country',
  'currency',
];

describe('identifier keys', () => {
  it('should split keys into words across case, digits and separators', () => {
    assert.deepEqual(keyWords('x-AuthToken2'), ['x', 'auth', 'token', '2']);
    assert.deepEqual(keyWords('IPAddress'), ['ip', 'address']);
    assert.deepEqual(keyWords('billing.zip_code'), ['billing', 'zip', 'code']);
  });

  it('should recognise every identifier key, whatever its case or separators', () => {
    assert.deepEqual(
      IDENTIFIER_KEYS.filter((key) => !keyInfo(key).identifier),
      [],
    );
  });

  it('should let look-alike keys through: names of things, embedded letters, LLM counters, qualified keys', () => {
    assert.deepEqual(
      ORDINARY_KEYS.filter((key) => keyInfo(key).identifier),
      [],
    );
  });

  it('should remove identifier props and metrics in the pipeline, one redaction each, even when allow-listed', () => {
    const outcome = runPrivacyPipeline(
      {
        name: 'signup',
        props: { email: 'x', userName: 'Jane', plan_name: 'pro', tokens_used: 12, token: 'abc' },
        metrics: { phone: 5551234567, duration_ms: 12, token_count: 3 },
        context: {},
      },
      { allowedProps: ['email', 'userName', 'plan_name', 'tokens_used', 'token'] },
    );
    assert.ok(outcome.kept);
    assert.deepEqual(outcome.event.props, { plan_name: 'pro', tokens_used: 12 });
    assert.deepEqual(outcome.event.metrics, { duration_ms: 12, token_count: 3 });
    assert.deepEqual(outcome.redactions, Array(4).fill({ step: 'identifier_keys', reason: 'identifier_key' }));
  });
});
