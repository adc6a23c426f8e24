import { expect, test } from "bun:test";
import { AlarmBoard, BSP_ERROR } from "../../../protocols/huawei/alarms.ts";
import { decodeAdus } from "../../../protocols/huawei/codec.ts";
import { RegisterStore } from "../../../protocols/huawei/registers.ts";
import {
  alarmsPayload,
  cleanF32,
  connectorPayload,
  dispenserToPsuPayload,
  INITIAL_DISPENSER_TO_PSU,
  mockPowerRequest,
  psuPayload,
  scaled,
  SUBTOPIC,
  telemetryTopic,
} from "../../../protocols/huawei/telemetry.ts";
import { encodeValue, F32, F64 } from "../../../protocols/huawei/words.ts";
import { hex, M, type ModbusVector } from "./vectors.ts";

function write(s: RegisterStore, ...vs: ModbusVector[]): void {
  for (const v of vs) {
    const [item] = decodeAdus(hex(v.request), "psu");
    if (!item?.ok) throw new Error(`${v.name} does not decode`);
    s.serve(item.adu);
  }
}

test("at start-up every value is null, the alarm booleans false", () => {
  const s = new RegisterStore({ connectors: 1 });
  expect(JSON.stringify(psuPayload(s))).toBe(
    '{"ac_input_current_a":null,"ac_input_current_b":null,"ac_input_current_c":null,"ac_input_voltage_a":null,"ac_input_voltage_b":null,"ac_input_voltage_c":null,"psu_running_mode":null,"total_historic_input_energy":null}',
  );
  expect(JSON.stringify(connectorPayload(s, 1))).toBe(
    '{"max_rated_psu_current":null,"max_rated_psu_voltage":null,"min_rated_psu_current":null,"min_rated_psu_voltage":null,"psu_port_available":null,"rated_output_power_psu":null}',
  );
  expect(JSON.stringify(dispenserToPsuPayload(INITIAL_DISPENSER_TO_PSU))).toBe(
    '{"bsp_event":null,"dc_output_contactor_fault_alarm":false,"everest_mode":null,"everest_phase":null,"export_current":null,"export_voltage":null,"output_current":null,"output_voltage":null,"upstream_voltage":null}',
  );
  expect(JSON.stringify(alarmsPayload(new AlarmBoard([1]).dispenserAlarms()))).toBe('{"door_status_alarm":false,"epo_alarm":false,"tilt_alarm":false,"water_alarm":false}');
});

test("connector/<n> after the mock's capability writes (M5–M10) matches the module's documented payload", () => {
  const s = new RegisterStore({ connectors: 1 });
  write(s, M.M5, M.M6, M.M7, M.M8, M.M9, M.M10);
  // doc.rst example: 100.0 / 1000.0 / 1.0 / 100.0 / "AVAILABLE" / 60000.0 (JSON has no ".0").
  expect(JSON.stringify(connectorPayload(s, 1))).toBe(
    '{"max_rated_psu_current":100,"max_rated_psu_voltage":1000,"min_rated_psu_current":1,"min_rated_psu_voltage":100,"psu_port_available":"AVAILABLE","rated_output_power_psu":60000}',
  );
  expect(telemetryTopic("base_topic", SUBTOPIC.connector(1))).toBe("base_topic/connector/1");
  expect(telemetryTopic("", SUBTOPIC.psu)).toBeNull();
});

test("psu: the captured payload's keys, without its float artefacts (227.7 V, 0.03 Wh)", () => {
  const captured = JSON.parse(
    '{"ac_input_current_a":0.0,"ac_input_current_b":0.0,"ac_input_current_c":0.0,"ac_input_voltage_a":227.6999969482422,"ac_input_voltage_b":227.6999969482422,"ac_input_voltage_c":227.6999969482422,"psu_running_mode":"RUNNING","total_historic_input_energy":0.030000000000000006}',
  );
  const s = new RegisterStore({ connectors: 1 });
  const v = encodeValue(F32, 227.7);
  s.answer({ kind: "writeMultiple", address: 0x2007, values: Uint16Array.of(...v, ...v, ...v) });
  for (const a of [0x200d, 0x200f, 0x2011]) s.answer({ kind: "writeMultiple", address: a, values: encodeValue(F32, 0) });
  s.answer({ kind: "writeMultiple", address: 0x2013, values: encodeValue(F64, 0.00003) });
  write(s, M.M2);
  const ours = psuPayload(s);
  expect(Object.keys(ours)).toEqual(Object.keys(captured));
  expect(JSON.stringify(ours)).toBe(
    '{"ac_input_current_a":0,"ac_input_current_b":0,"ac_input_current_c":0,"ac_input_voltage_a":227.7,"ac_input_voltage_b":227.7,"ac_input_voltage_c":227.7,"psu_running_mode":"RUNNING","total_historic_input_energy":0.03}',
  );
  // M11: 1.0e-5 kWh → 0.01 Wh; M13: 230.5 / 231 / 229.5 V in one request.
  write(s, M.M11, M.M13);
  expect(psuPayload(s)).toMatchObject({ total_historic_input_energy: 0.01, ac_input_voltage_a: 230.5, ac_input_voltage_b: 231, ac_input_voltage_c: 229.5 });
});

test("enum names, UNKNOWN for values outside the enums", () => {
  const s = new RegisterStore({ connectors: 1 });
  const names: string[] = [];
  for (const mode of [0, 1, 2, 3, 4, 9]) {
    s.answer({ kind: "writeSingle", address: 0x2006, value: mode });
    names.push(String(psuPayload(s).psu_running_mode));
  }
  expect(names).toEqual(["STARTING_UP", "RUNNING", "FAULTY", "SLEEPING", "UPGRADING", "UNKNOWN"]);
  const ports: string[] = [];
  for (const p of [0, 1, 2]) {
    s.answer({ kind: "writeSingle", address: 0x212f, value: p });
    ports.push(String(connectorPayload(s, 1).psu_port_available));
  }
  expect(ports).toEqual(["NOT_AVAILABLE", "AVAILABLE", "UNKNOWN"]);
});

test("dispenser_to_psu and published_alarms shapes (doc example), non-finite numbers as null", () => {
  const p = dispenserToPsuPayload({
    bspEvent: "PowerOn",
    contactorFault: false,
    everestMode: "Export",
    everestPhase: "Charging",
    exportCurrent: 20,
    exportVoltage: 400,
    outputCurrent: 0,
    outputVoltage: 0,
    upstreamVoltage: Number.NaN,
  });
  expect(JSON.stringify(p)).toBe(
    '{"bsp_event":"PowerOn","dc_output_contactor_fault_alarm":false,"everest_mode":"Export","everest_phase":"Charging","export_current":20,"export_voltage":400,"output_current":0,"output_voltage":0,"upstream_voltage":null}',
  );
  const board = new AlarmBoard([1]);
  board.set(1, BSP_ERROR.tilt, true);
  expect(JSON.stringify(alarmsPayload(board.dispenserAlarms()))).toBe('{"door_status_alarm":false,"epo_alarm":false,"tilt_alarm":true,"water_alarm":false}');
  expect(SUBTOPIC.dispenserToPsu(7)).toBe("connector/7/dispenser_to_psu");
  expect(SUBTOPIC.alarms).toBe("dispenser/published_alarms");
});

test("§12.4: the mock's power request payload and topic", () => {
  expect(mockPowerRequest("fusion_charger_mock/", 1, 500, 2)).toEqual({ topic: "fusion_charger_mock/1/power_request", payload: '{"voltage": 500.000000, "current": 2.000000}' });
  expect(mockPowerRequest("sim", 3, 0, 0)).toEqual({ topic: "sim/3/power_request", payload: '{"voltage": 0.000000, "current": 0.000000}' });
});

test("float cleaning keeps the float32 value and drops only the noise", () => {
  for (const x of [227.7, 0.1, 1e-7, 3.4e38, 12.5, 1 / 3, -42.42]) {
    const y = cleanF32(Math.fround(x));
    expect(y === null ? Number.NaN : Math.fround(y)).toBe(Math.fround(x));
    expect(String(y).length).toBeLessThanOrEqual(String(Math.fround(x)).length);
  }
  expect(cleanF32(Math.fround(227.7))).toBe(227.7);
  expect(cleanF32(Number.POSITIVE_INFINITY)).toBeNull();
  expect(cleanF32(-0)).toBe(0);
  expect(scaled(22.1, 1000)).toBe(22100);
  expect(scaled(0.00003, 1000)).toBe(0.03);
  expect(scaled(null, 1000)).toBeNull();
});
