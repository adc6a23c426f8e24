// What the bridge knows of each connector of one charge point (0 = the charger as a whole), from
// its StatusNotification, Start/StopTransaction and MeterValues.

export interface ConnectorState {
  /** The 1.6 status last reported, e.g. "Charging". */
  status?: string;
  errors: string[];
  meterStart?: number;
  transactionId?: number;
  /** Whether the latest meter reading showed energy flowing (undefined: no reading with power or current). */
  flowing?: boolean;
}

/** A running transaction: [connectorId, transactionId]. */
export type RunningTx = [number, number];

export class Connectors {
  private readonly map = new Map<number, ConnectorState>();

  /** Connector n's state, made on first use. */
  get(n: number): ConnectorState {
    let c = this.map.get(n);
    if (!c) {
      c = { errors: [] };
      this.map.set(n, c);
    }
    return c;
  }

  peek(n: number): ConnectorState | undefined {
    return this.map.get(n);
  }

  numbers(): number[] {
    return [...this.map.keys()];
  }

  /** Transactions the target runs: connector 0 means every connector. */
  running(connectorId: number): RunningTx[] {
    const out: RunningTx[] = [];
    for (const [n, c] of this.map) if (n >= 1 && (connectorId === 0 || n === connectorId) && c.transactionId !== undefined) out.push([n, c.transactionId]);
    return out;
  }

  /** StopTransaction carries no connectorId; the transaction id says which connector it was. */
  byTransaction(id: number): [number, ConnectorState] | undefined {
    for (const [n, c] of this.map) if (c.transactionId === id) return [n, c];
    return undefined;
  }
}
