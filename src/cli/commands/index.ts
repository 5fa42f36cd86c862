import type { Command } from 'commander';

/** Commands contributed by drivers and features beyond the core four (proxy, demo, ...). */
export function extraCommands(): Command[] {
  return [];
}
