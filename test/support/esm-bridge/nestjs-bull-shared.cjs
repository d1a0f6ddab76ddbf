// See resolver.cjs: the @nestjs/bull-shared instance the test imported, handed to @bull-board/nestjs.
const bridged = globalThis.__esmBridge && globalThis.__esmBridge['@nestjs/bull-shared'];
if (!bridged)
  throw new Error('@nestjs/bull-shared was not bridged: test/support/esm-bridge/setup.ts must be in setupFiles');
module.exports = bridged;
