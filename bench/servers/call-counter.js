// Counts the service's round trips: every Postgres statement (by prepared-statement name, else the
// start of its text) and every Redis command, with the time until the answer. The bench divides
// them by the events acknowledged to show what one event costs in round trips. Patching the two
// client prototypes costs a counter and a clock read per call.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const pg = require('pg');
const { Redis } = require('ioredis');

const postgres = new Map();
const redis = new Map();

function count(map, key, startedAt) {
  let entry = map.get(key);
  if (!entry) map.set(key, (entry = { calls: 0, totalMs: 0 }));
  entry.calls++;
  entry.totalMs += Number(process.hrtime.bigint() - startedAt) / 1e6;
}

const statementKey = (config) => {
  if (typeof config === 'object' && config !== null) {
    if (config.name) return config.name;
    config = config.text;
  }
  return String(config).replace(/\s+/g, ' ').trim().slice(0, 70);
};

const query = pg.Client.prototype.query;
pg.Client.prototype.query = function countedQuery(config, values, callback) {
  const startedAt = process.hrtime.bigint();
  const key = statementKey(config);
  const done = (error) => count(postgres, error ? `${key} (failed)` : key, startedAt);
  // pg-pool passes a callback (as `values` when there are none); everyone else gets a promise.
  if (typeof values === 'function') {
    const original = values;
    values = (error, result) => {
      done(error);
      original(error, result);
    };
  } else if (typeof callback === 'function') {
    const original = callback;
    callback = (error, result) => {
      done(error);
      original(error, result);
    };
  }
  const result = query.call(this, config, values, callback);
  if (result && typeof result.then === 'function')
    result.then(
      () => done(),
      (error) => done(error),
    );
  return result;
};

const sendCommand = Redis.prototype.sendCommand;
Redis.prototype.sendCommand = function countedCommand(command, stream) {
  const startedAt = process.hrtime.bigint();
  const result = sendCommand.call(this, command, stream);
  const key = command.name === 'evalsha' || command.name === 'eval' ? `${command.name} (Lua script)` : command.name;
  command.promise?.then(
    () => count(redis, key, startedAt),
    () => count(redis, `${key} (failed)`, startedAt),
  );
  return result;
};

/** Totals so far: { postgres: { key: { calls, totalMs } }, redis: { … } }. */
export function callCounts() {
  return { postgres: Object.fromEntries(postgres), redis: Object.fromEntries(redis) };
}
