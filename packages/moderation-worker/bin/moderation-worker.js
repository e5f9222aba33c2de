#!/usr/bin/env node
// The npm bin: a committed file, so `npm ci` links it before the first build; the CLI is the built dist/cli.js.
import '../dist/cli.js';
