// One connector of a PSU link as the hub sees it (`<name>_<global connector number>`): online while
// the link is READY, normalized state rendered from the unit, `/request` through the action table.
// `/set` has no AC-charger meaning here: without GOOSE the bridge cannot switch or limit the DC
// output at all, and with GOOSE a DC request needs a voltage, so only `enabled: false` (stop) is
// carried out; everything else is refused with the action to use instead.
import { dispatch } from "../../lib/actions.ts";
import { CommandError } from "../../lib/errors.ts";
import type { ChargeGuard } from "../../lib/guard.ts";
import type { SetCommand } from "../../lib/normalized.ts";
import type { Capabilities, ChargerDriver, ChargerHandle, ChargerRegistry } from "../../lib/protocol.ts";
import { huaweiActions, needGoose } from "./actions.ts";
import { normalizedState } from "./normalize.ts";
import { startGuard } from "./power-guard.ts";
import type { PsuUnit, UnitConnector } from "./unit.ts";

export class HuaweiDevice implements ChargerDriver {
  readonly id: string;
  private readonly guard: ChargeGuard;
  private handle: ChargerHandle | undefined;

  constructor(private readonly unit: PsuUnit, readonly connector: UnitConnector, private readonly hub: ChargerRegistry) {
    this.id = `${unit.cfg.name}_${connector.cfg.global_connector_number}`;
    this.guard = startGuard(unit.cfg.switch_min_interval_s * 1000);
  }

  get online(): boolean {
    return this.handle !== undefined;
  }

  capabilities(): Capabilities {
    const goose = this.unit.goose.state === "active";
    return { power: true, phases: false, energy: false, enable: false, plug: goose, buttons: ["state", ...(goose ? ["power_stop"] : [])] };
  }

  /** The link is READY: the connector appears (availability online). */
  attach(): void {
    const sw = this.unit.store.unitKnown("psuSoftwareVersion") ? this.unit.store.unit("psuSoftwareVersion") : "";
    this.handle = this.hub.attach(
      this.id,
      { protocol: "huawei", name: this.id, manufacturer: "Huawei", model: "FusionCharge DC power unit (dispenser link)", sw_version: sw || undefined, capabilities: this.capabilities() },
      this,
    );
  }

  /** The link is down: availability offline, commands refused. */
  detach(): void {
    this.handle?.detach();
    this.handle = undefined;
  }

  /** Resolves once MQTT took the state (or it was unchanged). */
  update(): Promise<void> {
    if (!this.handle) return Promise.resolve();
    this.handle.seen();
    return this.handle.update(normalizedState(this.unit, this.connector));
  }

  async set(cmd: SetCommand): Promise<unknown> {
    needGoose(this.unit);
    if (cmd.current_limit_a !== undefined || cmd.enabled === true) {
      throw new CommandError('a DC power unit is commanded in volts and amps: use the request action power_request {"phase", "voltage_v", "current_a"}; only "enabled": false (stop) works on /set');
    }
    return this.request("power_stop", {});
  }

  request(action: string, args: Record<string, unknown>): Promise<unknown> {
    return dispatch(huaweiActions, action, args, { unit: this.unit, connector: this.connector, guard: this.guard });
  }
}
