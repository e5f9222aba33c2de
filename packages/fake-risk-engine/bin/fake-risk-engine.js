#!/usr/bin/env node
// The npm bin: a committed file, so `npm ci` links it before the first build; the server is the built dist/bin.js.
import '../dist/bin.js';
