/**
 * Passwords refused because attackers try them first (NIST SP 800-63B §5.1.1.2: check new
 * passwords against a list of commonly used or compromised values). Only entries of 10 or more
 * characters are kept: shorter ones fail the length rule anyway. Compared lower-cased.
 *
 * Source of the first list: SecLists, `Passwords/Common-Credentials/10k-most-common.txt`
 * (https://github.com/danielmiessler/SecLists), the entries of that file of 10 characters or
 * more, in the file's order. Only a few dozen of its 10,000 entries are that long, because most
 * breach-derived lists were cut at 8 characters; hence the second list.
 *
 *   MIT License. Copyright (c) 2018 Daniel Miessler.
 *   Permission is hereby granted, free of charge, to any person obtaining a copy of this
 *   software and associated documentation files (the "Software"), to deal in the Software
 *   without restriction, including without limitation the rights to use, copy, modify, merge,
 *   publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons
 *   to whom the Software is furnished to do so, subject to the following conditions: The above
 *   copyright notice and this permission notice shall be included in all copies or
 *   substantial portions of the Software. THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY
 *   OF ANY KIND.
 *
 * Kept in a .ts module rather than a .txt file so that `tsc` carries it into dist/.
 */
export const SECLISTS_10K_LONG: readonly string[] = [
  '1234567890',
  'fuck_inside',
  'deepthroat',
  'qwertyuiop',
  'basketball',
  'masterbate',
  'penetration',
  'masterbating',
  'unbelievable',
  'intercourse',
  'interacial',
  'ejaculation',
  'businessbabe',
  'experience',
  'contortionist',
  'cheerleaers',
  'housewifes',
  'gangbanged',
  'experienced',
  'transexual',
  'lockerroom',
  'absolutely',
  'masterbaiting',
  'masturbation',
  'pornographic',
  'knickerless',
  'enterprise',
  'scandinavian',
  'techniques',
  'manchester',
  'penetrating',
  'films+pic+galeries',
  'uncencored',
  'insertions',
  'fuckinside',
  'quant4307s',
  'christopher',
  'california',
  'cocksucker',
  'washington',
  'postov1000',
  'charlie123',
  'primetime21',
  'highlander',
  'playstation',
  'dragonball',
  'undertaker',
  'university',
  '1q2w3e4r5t',
  'motherfucker',
  'peternorth',
];

/**
 * Written for Guestpass, not taken from a list: the long keyboard walks, digit runs and
 * "word + digits" passwords that lead every public breach ranking but that lists cut at
 * 8 characters miss.
 */
export const WELL_KNOWN_LONG: readonly string[] = [
  'password123',
  'password1234',
  'password12345',
  'password123456',
  'passw0rd123',
  'password!!',
  '0123456789',
  '0987654321',
  '9876543210',
  '12345678910',
  '1234567891',
  '123456789a',
  'a123456789',
  '1234567890a',
  '1111111111',
  '0000000000',
  '1234554321',
  '1234512345',
  '123123123123',
  'abc1234567',
  'abc123456789',
  'abcdefghij',
  'qwerty1234',
  'qwerty12345',
  'qwerty123456',
  'qwertyuiop1',
  'qwertyuiop123',
  'asdfghjkl1',
  'asdfghjkl123',
  'zxcvbnm123',
  '1qaz2wsx3edc',
  '1q2w3e4r5t6y',
  '1q2w3e4r5t6y7u',
  'zaq12wsxcde3',
  'iloveyou12',
  'iloveyou123',
  'welcome123',
  'letmein123',
  'changeme123',
  'administrator',
  'admin12345',
  'princess123',
  'football123',
  'baseball123',
  'superman123',
  'trustno1234',
];
