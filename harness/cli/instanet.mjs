#!/usr/bin/env node
// The kit is written in TypeScript and run through tsx's loader, so a fresh clone
// needs `npm ci` and nothing else: no build step that could go stale.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
