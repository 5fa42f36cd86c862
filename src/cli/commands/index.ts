import type { Command } from 'commander';
import { demoCommand } from './demo.js';
import { proxyCommand } from './proxy.js';

/** Commands beyond the core four: the embedded proxy server and the demo. */
export function extraCommands(): Command[] {
  return [proxyCommand(), demoCommand()];
}
