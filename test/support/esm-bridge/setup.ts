// See resolver.cjs. Imported before each test file, in its module registry, so these are the very
// module instances the application under test uses.
import * as bullShared from '@nestjs/bull-shared';
import * as common from '@nestjs/common';
import * as core from '@nestjs/core';

(globalThis as { __esmBridge?: Record<string, unknown> }).__esmBridge = {
  '@nestjs/common': common,
  '@nestjs/core': core,
  '@nestjs/bull-shared': bullShared,
};
