import { userInfo } from 'node:os';
import { Option, type Command } from 'commander';
import { loadConfig } from '../config/load-config.js';
import { createLogger } from '../logger.js';
import { describeError, errors, HookAlertsError } from '../errors.js';
import { deliveryStateSchema, type AlertStore, type DeliveryListing, type DeliveryState } from '../store/alert-store.js';

interface ListOptions {
  state?: DeliveryState;
  config?: string;
  json?: boolean;
}

interface RetryOptions {
  by?: string;
  config?: string;
}

// The last error can be a paragraph (a Slack error with its fix): the table shows its start, --json all of it.
const ERROR_COLUMN_WIDTH = 80;

function retryError(message: string): HookAlertsError {
  return new HookAlertsError('HA_ERR_DELIVERY_RETRY', message, { exitCode: 1 });
}

/** Open the store `serve` would use with this config (SQLite in the data dir, or PostgreSQL), run `work` on it, close it. */
async function withStore<T>(configFile: string | undefined, work: (store: AlertStore) => Promise<T>): Promise<T> {
  const config = loadConfig({ file: configFile });
  const logger = createLogger(config.logging.level === 'info' ? 'warn' : config.logging.level, process.stderr);
  // Loaded here, not at the top: the other commands (and --help) start without the service and its drivers.
  const { openStore } = await import('../pipeline/open-store.js');
  const store = await openStore(config, logger);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** A delivery for --json: times as ISO 8601. */
function toJson(d: DeliveryListing): Record<string, unknown> {
  return { ...d, updatedAt: iso(d.updatedAt), replayedAt: iso(d.replayedAt) };
}

/** Deliveries as an aligned text table, one row each. */
function toTable(deliveries: readonly DeliveryListing[]): string {
  const header = ['ID', 'INCIDENT', 'APP', 'TARGET', 'KIND', 'STATE', 'ATTEMPTS', 'UPDATED', 'REF', 'LAST ERROR'];
  const rows = deliveries.map((d) => {
    const error = (d.lastError ?? '-').replace(/\s+/g, ' ');
    return [
      String(d.id),
      d.incidentId,
      d.app,
      d.target,
      d.kind,
      d.replayedBy === null ? d.state : `${d.state} (replayed by ${d.replayedBy})`,
      String(d.attempts),
      iso(d.updatedAt) ?? '-',
      d.ref ?? '-',
      error.length > ERROR_COLUMN_WIDTH ? `${error.slice(0, ERROR_COLUMN_WIDTH - 1)}…` : error,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
  return [header, ...rows].map(line).join('\n') + '\n';
}

/** Who asked for a replay: --by, else the OS user running the CLI. */
function replayer(by: string | undefined): string {
  if (by !== undefined) {
    if (by.trim() === '') throw errors.usage('--by needs a name: who is asking for the retry');
    return by.trim();
  }
  try {
    return userInfo().username;
  } catch (err) {
    // A container user with no passwd entry has no name to find.
    throw retryError(`cannot tell which user runs this (${describeError(err)}): pass --by NAME to record who asked for the retry`);
  }
}

/** Why a delivery in this state is not retried, and what to do instead. */
function refusal(id: number, state: DeliveryState): string {
  const why: Record<DeliveryState, string> = {
    pending: 'it is queued already: the service sends it on its own',
    in_flight: 'the service is sending it right now',
    sent: 'it was sent: there is nothing to send again',
    failed: '',
    dead: '',
  };
  return `delivery ${id} is ${state}, ${why[state]}; only dead or failed deliveries can be retried (argocd-hook-alerts deliveries list --state dead)`;
}

/**
 * `deliveries list` and `deliveries retry`: see the deliveries in the store, and send a dead or failed one
 * again. The running service's worker polls the store, so a retry needs no access to the service itself.
 */
export function registerDeliveries(program: Command): void {
  const deliveries = program.command('deliveries').description('list the deliveries in the store, and retry a dead or failed one');
  deliveries
    .command('list')
    .description('list deliveries (newest last) from the store serve uses')
    .addOption(new Option('--state <state>', 'only deliveries in this state').choices(deliveryStateSchema.options))
    .option('-c, --config <file>', 'YAML config file (default: $HOOK_ALERTS_CONFIG)')
    .option('--json', 'print a JSON array (full error texts, ISO times)')
    .action(async (opts: ListOptions) => {
      const found = await withStore(opts.config, async (store) => store.listDeliveries(opts.state));
      if (opts.json === true) {
        process.stdout.write(`${JSON.stringify(found.map(toJson), null, 2)}\n`);
      } else if (found.length === 0) {
        process.stdout.write(opts.state === undefined ? 'no deliveries\n' : `no ${opts.state} deliveries\n`);
      } else {
        process.stdout.write(toTable(found));
      }
    });
  deliveries
    .command('retry')
    .description('put a dead or failed delivery back in the queue: the running service sends it on its next poll')
    .argument('<id>', 'the delivery id (deliveries list)')
    .option('--by <name>', 'who asks for it, recorded with the delivery (default: the OS user)')
    .option('-c, --config <file>', 'YAML config file (default: $HOOK_ALERTS_CONFIG)')
    .action(async (idText: string, opts: RetryOptions) => {
      if (!/^[1-9]\d{0,15}$/.test(idText)) throw errors.usage(`delivery id must be a positive integer (deliveries list shows them), not ${JSON.stringify(idText)}`);
      const id = Number(idText);
      const by = replayer(opts.by);
      const now = Date.now();
      const result = await withStore(opts.config, async (store) => store.replayDelivery(id, by, now));
      if (result.status === 'unknown') throw retryError(`no delivery ${id} in the store: argocd-hook-alerts deliveries list shows the ids (a finished incident's deliveries are removed after store.retentionDays)`);
      if (result.status === 'not_replayable') throw retryError(refusal(id, result.state));
      const d = result.delivery;
      process.stdout.write(
        `delivery ${d.id} (${d.kind} alert for ${d.app} to ${d.target}) is pending again, retried by ${by} at ${iso(now) ?? ''}; ` +
          `the running service sends it on its next poll (attempts so far: ${d.attempts})\n`,
      );
    });
}
