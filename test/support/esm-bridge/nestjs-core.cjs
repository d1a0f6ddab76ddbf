// See resolver.cjs: the @nestjs/core instance the test imported, handed to @bull-board/nestjs.
const bridged = globalThis.__esmBridge && globalThis.__esmBridge['@nestjs/core'];
if (!bridged) throw new Error('@nestjs/core was not bridged: test/support/esm-bridge/setup.ts must be in setupFiles');
module.exports = bridged;
