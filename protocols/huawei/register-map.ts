// The register map of spec §3: addresses, types and who writes each value.
import { F32, F64, raw, secret, str, U16, U32, type FieldType } from "./words.ts";

/** Local connector number on this dispenser (selects the register offset). */
export type LocalConnector = 1 | 2 | 3 | 4;
export const LOCAL_CONNECTORS: readonly LocalConnector[] = [1, 2, 3, 4];

/** Register offset of a connector's block (spec §3). */
export const CONNECTOR_OFFSET: Record<LocalConnector, number> = { 1: 0x0000, 2: 0x0c00, 3: 0x0d00, 4: 0x0e00 };

/**
 * `dispenser`: our value; the PSU reads it, its writes are acknowledged and ignored.
 * `psu`: the PSU writes it; we store it and fire the hooks.
 */
export type Writer = "dispenser" | "psu";

export interface RegisterDef {
  readonly address: number;
  readonly type: FieldType;
  readonly writer: Writer;
}

const d = <T extends FieldType>(address: number, type: T) => ({ address, type, writer: "dispenser" }) as const;
const p = <T extends FieldType>(address: number, type: T) => ({ address, type, writer: "psu" }) as const;

/** Registers that exist once per dispenser. */
export const UNIT_REGISTERS = {
  manufacturer: d(0x0000, U16),
  model: d(0x0001, U16),
  protocolVersion: d(0x0002, U16),
  hardwareVersion: d(0x0004, U16),
  softwareVersion: d(0x0013, str(48)),
  connectorCount: d(0x1015, U16),
  esn: d(0x1016, str(22)),
  timeSync: d(0x1024, U32),
  doorAlarm: d(0x3001, U16),
  waterAlarm: d(0x3002, U16),
  epoAlarm: d(0x3003, U16),
  tiltAlarm: d(0x3004, U16),

  psuManufacturer: p(0x0100, U16),
  psuProtocolVersion: p(0x0101, U16),
  psuHardwareVersion: p(0x0102, U16),
  psuSoftwareVersion: p(0x0103, str(48)),
  psuEsn: p(0x011b, str(32)),
  runningMode: p(0x2006, U16),
  acVoltageA: p(0x2007, F32),
  acVoltageB: p(0x2009, F32),
  acVoltageC: p(0x200b, F32),
  acCurrentA: p(0x200d, F32),
  acCurrentB: p(0x200f, F32),
  acCurrentC: p(0x2011, F32),
  totalInputEnergyKwh: p(0x2013, F64),
  psuMac: p(0x2111, raw(6)),
} as const satisfies Record<string, RegisterDef>;

/** Registers that exist per connector, at base address + CONNECTOR_OFFSET. */
export const CONNECTOR_REGISTERS = {
  energyChargedKwh: d(0x1100, F64),
  connectorType: d(0x1104, U16),
  maxRatedCurrent: d(0x1105, F32),
  outputVoltage: d(0x1107, F32),
  outputCurrent: d(0x1109, F32),
  workingStatus: d(0x110b, U16),
  connectionStatus: d(0x110d, U16),
  globalConnector: d(0x110e, U16),
  upstreamVoltage: d(0x1113, F32),
  dispenserMac: d(0x114d, raw(6)),
  contactorStatus: d(0x1154, U16),
  lockStatus: d(0x1156, U16),
  chargingEvent: d(0x117e, U16),
  ratedPowerKw: d(0x2109, F32),
  contactorFault: d(0x3105, U16),
  reverseCable: d(0x3115, U16),

  maxVoltage: p(0x2100, F32),
  maxCurrent: p(0x2102, F32),
  minVoltage: p(0x2105, F32),
  minCurrent: p(0x2107, F32),
  hmacKey: p(0x2115, secret(48)),
  psuRatedPowerKw: p(0x212d, F32),
  portAvailability: p(0x212f, U16),
} as const satisfies Record<string, RegisterDef>;

export type UnitName = keyof typeof UNIT_REGISTERS;
export type ConnectorName = keyof typeof CONNECTOR_REGISTERS;

/** PSU error categories and items of spec §8.2 (names as the EVerest module publishes them). */
export type ErrorCategory =
  | "PowerUnit"
  | "ChargingPowerUnit"
  | "AcBranch"
  | "AcDcRectifier"
  | "DcDcChargingModule"
  | "CoolingSection"
  | "PowerDistributionModule";

export interface ErrorRegisterDef {
  readonly address: number;
  readonly type: typeof U16 | typeof U32;
  readonly category: ErrorCategory;
  readonly item: string;
  /** How the value is shown: an alarm state, or hex flags of 4 or 8 digits. */
  readonly show: "alarm" | "flags";
}

const alarm = (address: number, category: ErrorCategory, item: string): ErrorRegisterDef => ({ address, type: U16, category, item, show: "alarm" });
const flags32 = (address: number, category: ErrorCategory, item: string): ErrorRegisterDef => ({ address, type: U32, category, item, show: "flags" });
const series = (first: number, n: number, category: ErrorCategory, item: (i: number) => string) =>
  Array.from({ length: n }, (_, i) => flags32(first + 2 * i, category, item(i + 1)));

/** PSU-written error registers 0x4000–0x40E8, in address order. */
export const ERROR_REGISTERS: readonly ErrorRegisterDef[] = [
  ...["HighVoltageDoorStatusSensor", "DoorStatusSensor", "Water", "Smoke", "Epo"].map((item, i) => alarm(0x4000 + i, "PowerUnit", item)),
  ...[
    "UnknownSystemType",
    "PowerDetectionException",
    "SyncrhonizationCableStatusFaultOfEnergyRoutingBoard",
    "SoftStartFault",
    "SoftStartModuleCommunicationFailure",
    "SoftStartModuleOverloaded",
    "SoftStartModuleFault",
    "SoftStartModuleOvertemperature",
    "SoftStartModuleUndertemperature",
    "SoftStartModuleDisconnectionFailure",
    "PhaseSequenceAbornmalAlarm",
    "PowerDistributionModuleCommunicationFailure",
    "FaultOfInsulationResistanceToGround",
  ].map((item, i) => alarm(0x4005 + i, "ChargingPowerUnit", item)),
  { address: 0x4012, type: U16, category: "ChargingPowerUnit", item: "ModbusTcpCertificate", show: "flags" },
  ...series(0x4020, 2, "AcBranch", (i) => `AcBranch${i}`),
  ...series(0x4040, 6, "AcDcRectifier", (i) => `rectifier_${i}`),
  ...series(0x4070, 12, "DcDcChargingModule", (i) => `DcDcModule${i}`),
  flags32(0x40d0, "CoolingSection", "CoolingUnit1"),
  ...series(0x40e0, 5, "PowerDistributionModule", (i) => `PowerDistributionModule${i}`),
];

/** Working status of a connector (spec §3.3). */
export const WorkingStatus = {
  standby: 0,
  standbyWithConnectorInserted: 1,
  charging: 3,
  chargingComplete: 4,
  fault: 5,
  dispenserUpgrade: 7,
  chargingStarting: 8,
} as const;

export const ConnectionStatus = { notConnected: 0, semiConnected: 1, fullConnected: 2 } as const;
export const ChargingEvent = { startToStop: 0, stopToStart: 1 } as const;
export const RunningMode = { startingUp: 0, running: 1, faulty: 2, sleeping: 3, upgrading: 4 } as const;
export const PortAvailability = { notAvailable: 0, available: 1 } as const;
export const ConnectorType = { ccs1: 1, ccs2: 2, chademo: 3, gb: 4 } as const;
