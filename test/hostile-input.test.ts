import { describeHostileInput } from './helpers/hostile/suite.js';

// Every route against every family of malformed requests, on SQLite (test/helpers/hostile/suite.ts says how).
describeHostileInput('sqlite');
