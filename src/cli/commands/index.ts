import type { Command } from 'commander';
import { demoCommand } from './demo.js';
import { proxyCommand } from './proxy.js';
import { suiteCommand } from './suite.js';
import { historyCommand } from './history.js';
import { reportCommand } from './report.js';
import { serveCommand } from './serve.js';
import { scheduleCommand } from './schedule.js';
import { explainCommand, listCommand } from './explain.js';

/** Commands beyond the core four: suites, history and reports, the embedded proxy server and the demo. */
export function extraCommands(): Command[] {
  return [listCommand(), explainCommand(), suiteCommand(), serveCommand(), scheduleCommand(), historyCommand(), reportCommand(), proxyCommand(), demoCommand()];
}
