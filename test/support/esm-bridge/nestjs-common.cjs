// See resolver.cjs: the @nestjs/common instance the test imported, handed to @bull-board/nestjs.
const bridged = globalThis.__esmBridge && globalThis.__esmBridge['@nestjs/common'];
if (!bridged) throw new Error('@nestjs/common was not bridged: test/support/esm-bridge/setup.ts must be in setupFiles');
module.exports = bridged;
