// The dispenser's register store and the Modbus server in front of it (spec §1.2, §3, §12.1).
// The PSU is the Modbus master on this link: it reads our values and writes its own into us.
import type { Adu } from "./codec.ts";
import { EXCEPTION, FC, MAX_READ_COUNT, type Pdu } from "./pdu.ts";
import {
  CONNECTOR_OFFSET,
  CONNECTOR_REGISTERS,
  ConnectorType,
  ERROR_REGISTERS,
  UNIT_REGISTERS,
  type ConnectorName,
  type ErrorRegisterDef,
  type LocalConnector,
  type UnitName,
  type Writer,
} from "./register-map.ts";
import { decodeValue, encodeValue, wordCount, type FieldType, type ValueOf } from "./words.ts";

export type UnitValue<N extends UnitName> = ValueOf<(typeof UNIT_REGISTERS)[N]["type"]>;
export type ConnectorValue<N extends ConnectorName> = ValueOf<(typeof CONNECTOR_REGISTERS)[N]["type"]>;

interface Slot {
  readonly label: string;
  readonly start: number;
  readonly type: FieldType;
  readonly writer: Writer;
  readonly words: Uint16Array;
  /** Someone set the value (the PSU by a write, or our own code); false = still the initial 0. */
  known: boolean;
  readonly hooks: (() => void)[];
}

export interface StoreOptions {
  /** Connectors on this dispenser (1–4); they are numbered 1..n like the EVerest library does. */
  connectors: number;
  /** Source of 0x1024 (UNIX seconds); injected so tests are deterministic. */
  clock?: () => number;
  /** A hook threw. The write is still acknowledged; the label never contains a value. */
  onHookError?: (label: string, err: unknown) => void;
}

export class RegisterStore {
  readonly connectors: readonly LocalConnector[];
  private readonly byWord = new Map<number, Slot>();
  private readonly units = new Map<UnitName, Slot>();
  private readonly perConnector = new Map<string, Slot>();
  private readonly errorSlots: { def: ErrorRegisterDef; slot: Slot }[] = [];
  private readonly clock: () => number;
  private readonly onHookError: (label: string, err: unknown) => void;

  constructor(opts: StoreOptions) {
    if (!Number.isInteger(opts.connectors) || opts.connectors < 1 || opts.connectors > 4) {
      throw new RangeError(`a dispenser has 1 to 4 connectors, got ${opts.connectors}`);
    }
    this.connectors = ([1, 2, 3, 4] as const).slice(0, opts.connectors);
    this.clock = opts.clock ?? (() => Date.now());
    this.onHookError = opts.onHookError ?? (() => {});
    for (const [name, def] of Object.entries(UNIT_REGISTERS)) {
      if (isUnitName(name)) this.units.set(name, this.add(name, def.address, def.type, def.writer));
    }
    for (const c of this.connectors) {
      for (const [name, def] of Object.entries(CONNECTOR_REGISTERS)) {
        this.perConnector.set(`${c}:${name}`, this.add(`c${c}.${name}`, def.address + CONNECTOR_OFFSET[c], def.type, def.writer));
      }
    }
    for (const def of ERROR_REGISTERS) this.errorSlots.push({ def, slot: this.add(`${def.category}/${def.item}`, def.address, def.type, "psu") });
    // Fixed identity of the EVerest module (spec §3.1, §9); the session may override them.
    this.setUnit("manufacturer", 0x0002);
    this.setUnit("model", 0x0080);
    this.setUnit("connectorCount", opts.connectors);
    for (const c of this.connectors) {
      this.setConnector(c, "connectorType", ConnectorType.ccs2);
      this.setConnector(c, "lockStatus", 1);
    }
  }

  private add(label: string, start: number, type: FieldType, writer: Writer): Slot {
    const slot: Slot = { label, start, type, writer, words: new Uint16Array(wordCount(type)), known: false, hooks: [] };
    for (let i = 0; i < slot.words.length; i++) {
      if (this.byWord.has(start + i)) throw new Error(`register map overlap at 0x${(start + i).toString(16)} (${label})`);
      this.byWord.set(start + i, slot);
    }
    return slot;
  }

  private unitSlot(name: UnitName): Slot {
    const s = this.units.get(name);
    if (!s) throw new Error(`unit register ${name} missing`);
    return s;
  }

  private connectorSlot(c: LocalConnector, name: ConnectorName): Slot {
    const s = this.perConnector.get(`${c}:${name}`);
    if (!s) throw new RangeError(`connector ${c} is not configured on this dispenser (${this.connectors.length} connectors)`);
    return s;
  }

  unit<N extends UnitName>(name: N): UnitValue<N> {
    if (name === "timeSync") this.refreshClock();
    return decodeValue<(typeof UNIT_REGISTERS)[N]["type"]>(UNIT_REGISTERS[name].type, this.unitSlot(name).words);
  }

  setUnit<N extends UnitName>(name: N, value: UnitValue<N>): void {
    const slot = this.unitSlot(name);
    slot.words.set(encodeValue(UNIT_REGISTERS[name].type, value));
    slot.known = true;
  }

  connector<N extends ConnectorName>(c: LocalConnector, name: N): ConnectorValue<N> {
    return decodeValue<(typeof CONNECTOR_REGISTERS)[N]["type"]>(CONNECTOR_REGISTERS[name].type, this.connectorSlot(c, name).words);
  }

  setConnector<N extends ConnectorName>(c: LocalConnector, name: N, value: ConnectorValue<N>): void {
    const slot = this.connectorSlot(c, name);
    slot.words.set(encodeValue(CONNECTOR_REGISTERS[name].type, value));
    slot.known = true;
  }

  /** Back to 0 and unknown, e.g. the PSU capabilities after a connection loss. */
  forgetConnector(c: LocalConnector, name: ConnectorName): void {
    const slot = this.connectorSlot(c, name);
    slot.words.fill(0);
    slot.known = false;
  }

  forgetUnit(name: UnitName): void {
    const slot = this.unitSlot(name);
    slot.words.fill(0);
    slot.known = false;
  }

  unitKnown(name: UnitName): boolean {
    return this.unitSlot(name).known;
  }

  connectorKnown(c: LocalConnector, name: ConnectorName): boolean {
    return this.connectorSlot(c, name).known;
  }

  /** Current values of the PSU error registers, in address order. */
  errors(): { def: ErrorRegisterDef; value: number }[] {
    return this.errorSlots.map(({ def, slot }) => ({ def, value: decodeValue(def.type, slot.words) }));
  }

  /** Fires after every PSU write that touches the value, once per request. Returns an unsubscribe function. */
  onUnitWrite<N extends UnitName>(name: N, hook: (value: UnitValue<N>) => void): () => void {
    return this.hook(this.unitSlot(name), () => hook(this.unit(name)));
  }

  /** Like onUnitWrite, for one connector's value on every configured connector. */
  onConnectorWrite<N extends ConnectorName>(name: N, hook: (value: ConnectorValue<N>, connector: LocalConnector) => void): () => void {
    const offs = this.connectors.map((c) => this.hook(this.connectorSlot(c, name), () => hook(this.connector(c, name), c)));
    return () => offs.forEach((off) => off());
  }

  onErrorWrite(hook: (def: ErrorRegisterDef, value: number) => void): () => void {
    const offs = this.errorSlots.map(({ def, slot }) => this.hook(slot, () => hook(def, decodeValue(def.type, slot.words))));
    return () => offs.forEach((off) => off());
  }

  private hook(slot: Slot, fire: () => void): () => void {
    slot.hooks.push(fire);
    return () => {
      const i = slot.hooks.indexOf(fire);
      if (i >= 0) slot.hooks.splice(i, 1);
    };
  }

  private refreshClock(): void {
    const seconds = Math.floor(this.clock() / 1000);
    // u32 UNIX seconds wrap in 2106 (spec §14.16).
    this.unitSlot("timeSync").words.set(encodeValue(UNIT_REGISTERS.timeSync.type, ((seconds % 2 ** 32) + 2 ** 32) % 2 ** 32));
  }

  /** What a read returns: mapped words, 0 for everything unmapped (there is no "illegal address"). */
  readWords(address: number, count: number): Uint16Array {
    this.refreshClock();
    const out = new Uint16Array(count);
    for (let i = 0; i < count; i++) {
      const slot = this.byWord.get(address + i);
      if (slot) out[i] = slot.words[address + i - slot.start] ?? 0;
    }
    return out;
  }

  /**
   * A PSU write. Words of PSU-owned values are stored (a partial write keeps the untouched words);
   * our own values and unmapped addresses are left alone. Each touched PSU value's hooks fire once,
   * after the whole request is applied, in address order.
   */
  writeWords(address: number, values: Uint16Array): void {
    const touched: Slot[] = [];
    values.forEach((w, i) => {
      const slot = this.byWord.get(address + i);
      if (!slot || slot.writer !== "psu") return;
      slot.words[address + i - slot.start] = w;
      if (touched.at(-1) !== slot) touched.push(slot);
    });
    for (const slot of touched) {
      slot.known = true;
      for (const fire of [...slot.hooks]) {
        try {
          fire();
        } catch (err) {
          this.onHookError(slot.label, err);
        }
      }
    }
  }

  /** The response PDU for a request PDU from the PSU; undefined for PDUs that are not requests. */
  answer(pdu: Pdu): Pdu | undefined {
    const exception = (functionCode: number, code: number): Pdu => ({ kind: "exception", functionCode, code });
    switch (pdu.kind) {
      case "readRequest":
        if (pdu.count < 1 || pdu.count > MAX_READ_COUNT) return exception(FC.readHolding, EXCEPTION.illegalValue);
        return { kind: "readResponse", values: this.readWords(pdu.address, pdu.count) };
      case "writeSingle":
        this.writeWords(pdu.address, Uint16Array.of(pdu.value));
        return { kind: "writeSingle", address: pdu.address, value: pdu.value };
      case "writeMultiple":
        this.writeWords(pdu.address, pdu.values);
        return { kind: "writeMultipleResponse", address: pdu.address, count: pdu.values.length };
      case "invalid": {
        const known = pdu.functionCode === FC.readHolding || pdu.functionCode === FC.writeSingle || pdu.functionCode === FC.writeMultiple;
        return exception(pdu.functionCode, known ? EXCEPTION.illegalValue : EXCEPTION.illegalFunction);
      }
      case "other":
        return exception(pdu.functionCode, EXCEPTION.illegalFunction);
      case "reportAnswer":
      case "exception":
        return undefined;
      case "readResponse":
      case "writeMultipleResponse":
      case "report":
        // Response layouts only come from a dispenser; sent to us they are a function we do not serve.
        return exception(pdu.kind === "report" ? FC.huawei : pdu.kind === "readResponse" ? FC.readHolding : FC.writeMultiple, EXCEPTION.illegalFunction);
    }
  }

  // The store holds the HMAC key's words: printing the store must not print them.
  toString(): string {
    return `RegisterStore(${this.connectors.length} connectors)`;
  }

  toJSON(): string {
    return this.toString();
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }

  /** answer() wrapped in the request's MBAP: transaction id and unit id echoed unchanged. */
  serve(request: Adu): Adu | undefined {
    const pdu = this.answer(request.pdu);
    return pdu && { transactionId: request.transactionId, unitId: request.unitId, pdu };
  }
}

function isUnitName(name: string): name is UnitName {
  return name in UNIT_REGISTERS;
}
