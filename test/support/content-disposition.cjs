// Jest on Node 20 cannot require() an ES module, and @fastify/static (used by Swagger UI and
// Bull Board) requires content-disposition 3, which is ESM-only. Node itself loads it fine, so
// only the test runner gets this CommonJS stand-in built on content-disposition 1 (same output).
const contentDisposition = require('content-disposition-cjs');
module.exports = { create: contentDisposition, parse: contentDisposition.parse };
