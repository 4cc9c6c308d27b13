import { describeHostileInput } from './helpers/hostile/suite.js';

// The families whose values reach storage, on PostgreSQL (test/helpers/hostile/suite.ts says how).
describeHostileInput('postgres');
