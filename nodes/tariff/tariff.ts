/**
 * tariff: electricity prices (fixed, weekday × hour table, or day-ahead slots through the
 * consumer-price formula) and a cost account from a meter's energy counters. Output 1 the current
 * import and feed-in price and the coming slots, output 2 the cost account. Prices and the
 * account are kept in Node-RED context. The logic lives in lib/tariff.
 */
import fs from 'node:fs';
import { configReader } from '../../lib/api/config';
import { addReading, accountView, restoreAccount, rollOver, setPeak, type AccountState } from '../../lib/tariff/account';
import { accountParams, tariffConfigSchema, tariffSpec, type TariffNodeConfig } from '../../lib/tariff/config';
import { tariffInput } from '../../lib/tariff/messages';
import { PriceBook, parsePriceCsv, type SpotSlot } from '../../lib/tariff/prices';
import { comingSlots, priceAt, type TariffSpec } from '../../lib/tariff/tariff';
import { clip, errorText, safeInput } from '../_shared/device-node';
import { closeInOrder } from '../_shared/close';
import { translator } from '../_shared/i18n';
import type { Node, NodeAPI } from '../_shared/red';

interface Ctx {
  get(k: string, store?: string): unknown;
  set(k: string, v: unknown, store?: string): void;
}
const readConfig = configReader<TariffNodeConfig>(tariffConfigSchema);
const RECHECK_MS = 60_000;
/** The account goes out at most this often while readings stream in (and at every day change). */
const ACCOUNT_EVERY_MS = 10_000;
const H = 3_600_000;
/** The first prices go out this long after deploy: sent from the constructor they would be lost (the wired nodes may not exist yet). */
const FIRST_SEND_MS = 100;

/** "0.2431 / −0.0120 €/kWh" with the real minus. */
export function priceText(imp: number, exp: number): string {
  const f = (x: number) => x.toFixed(4).replace('-', '−');
  return clip(`${f(imp)} / ${f(exp)} €/kWh`);
}

module.exports = function (RED: NodeAPI) {
  const _ = translator(RED, 'tariff', __dirname);

  function TariffNode(this: Node, raw: Record<string, unknown>) {
    RED.nodes.createNode(this, raw);
    const node = this as Node & { context(): Ctx };
    const read = readConfig(raw);
    let spec: TariffSpec | undefined;
    let problem = read.ok ? undefined : read.error;
    const cfg = read.ok ? read.config : undefined;
    const book = new PriceBook();
    /** The CSV file could not be read or parsed: the node runs on without its prices (messages, the fixed fallback). */
    let csvProblem: string | undefined;
    if (cfg) {
      try {
        spec = tariffSpec(cfg);
      } catch (e) {
        spec = undefined;
        problem = errorText(e);
      }
      if (spec && cfg.csvFile) {
        try {
          const slots = parsePriceCsv(fs.readFileSync(cfg.csvFile, 'utf8'), cfg.unit, cfg.csvColumn || undefined);
          if ('error' in slots) throw new Error(slots.error);
          book.load(slots);
        } catch (e) {
          csvProblem = `${_('tariff.errors.csv')} ${cfg.csvFile}: ${errorText(e)}`;
          node.error(csvProblem);
        }
      }
    }
    const topic = cfg?.topic || 'tariff';
    const store = cfg?.store || undefined;
    const ctx = node.context();
    const saved = ctx.get('prices', store);
    if (Array.isArray(saved) && !cfg?.csvFile) book.add(saved as SpotSlot[], Date.now());
    const params = cfg ? accountParams(cfg) : undefined;
    const account: AccountState | undefined = cfg ? restoreAccount(ctx.get('account', store), Date.now(), cfg.timeZone) : undefined;
    let accountSentAt = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;

    const sendPrices = () => {
      if (!spec || !cfg) return;
      const now = Date.now();
      const p = priceAt(spec, book, now);
      const slots = comingSlots(spec, book, now, cfg.horizon * H);
      node.send([{ topic, payload: { kind: 'tariff', unit: 'EUR/kWh', ...p, slot: { start: p.start, end: p.end }, slots } }, null]);
      const text = priceText(p.importPrice, p.exportPrice);
      if (csvProblem && p.source === 'fallback') node.status({ fill: 'red', shape: 'ring', text: clip(`${_('tariff.status.csv')} · ${text}`) });
      else node.status({ fill: p.source === 'fallback' ? 'yellow' : 'green', shape: p.source === 'fallback' ? 'ring' : 'dot', text });
      if (timer) clearTimeout(timer);
      timer = setTimeout(tick, Math.max(50, Math.min(p.end - Date.now(), RECHECK_MS)));
    };
    let slotEnd = 0;
    const tick = () => {
      if (!spec) return;
      const now = Date.now();
      if (account && params && rollOver(account, now, params.timeZone)) sendAccount(true);
      if (now >= slotEnd) {
        slotEnd = priceAt(spec, book, now).end;
        sendPrices();
      } else timer = setTimeout(tick, Math.max(50, Math.min(slotEnd - now, RECHECK_MS)));
    };
    const sendAccount = (force: boolean) => {
      if (!account || !params) return;
      ctx.set('account', account, store);
      const now = Date.now();
      if (!force && now - accountSentAt < ACCOUNT_EVERY_MS) return;
      accountSentAt = now;
      node.send([null, { topic, payload: accountView(account, params) }]);
    };

    if (!spec || !cfg) {
      node.status({ fill: 'red', shape: 'ring', text: _('tariff.status.config') });
      node.error(`${_('tariff.errors.config')}: ${problem}`);
    } else timer = setTimeout(tick, FIRST_SEND_MS);

    safeInput(node, (msg) => {
      if (!spec || !cfg || !account || !params) throw new Error(`${_('tariff.errors.config')}: ${problem}`);
      const r = tariffInput(msg, cfg.unit, Date.now());
      if ('error' in r) throw new Error(r.error);
      if (r.what === 'prices') {
        book.add(r.slots, Date.now());
        if (!cfg.csvFile) ctx.set('prices', book.between(Date.now() - 2 * 24 * H, 7 * 24 * H), store);
        slotEnd = priceAt(spec, book, Date.now()).end;
        sendPrices();
      } else if (r.what === 'meter') {
        const price = priceAt(spec, book, account.last?.at ?? r.timestamp);
        const day = account.day;
        const what = addReading(account, r, price, params);
        if (what === 'jump') node.warn(_('tariff.warn.jump'));
        sendAccount(day !== account.day || what === 'baseline');
      } else if (r.what === 'peak') {
        setPeak(account, r.peakW, r.report);
        sendAccount(true);
      } else {
        sendPrices();
        sendAccount(true);
      }
    });

    closeInOrder(node, () => timer && clearTimeout(timer));
  }

  RED.nodes.registerType('tariff', TariffNode);
};
