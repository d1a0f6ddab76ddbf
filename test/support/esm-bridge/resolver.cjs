// Jest on Node 20 cannot require() an ES module, and @bull-board/nestjs (CommonJS) requires the
// ESM-only NestJS 12 packages. Node itself loads them fine (require(esm)), so only under Jest are
// those require() calls, and only those made from inside @bull-board/nestjs, pointed at a CommonJS
// stand-in that hands over the very module instances the test already imported (setup.ts): the
// classes used as injection tokens must be the same objects, so nothing is copied or re-implemented.
const path = require('node:path');

const BRIDGED = {
  '@nestjs/common': 'nestjs-common.cjs',
  '@nestjs/core': 'nestjs-core.cjs',
  '@nestjs/bull-shared': 'nestjs-bull-shared.cjs',
};
const FROM = `${path.sep}node_modules${path.sep}@bull-board${path.sep}nestjs${path.sep}`;

module.exports = (request, options) => {
  if (BRIDGED[request] && `${options.basedir}${path.sep}`.includes(FROM)) {
    return path.join(__dirname, BRIDGED[request]);
  }
  return options.defaultResolver(request, options);
};
