// Spec huawei-psu.md §12 test vectors, as written there (spaces and "…" resolved, nothing computed).

export function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, "");
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new Error(`bad hex: ${s}`);
  return Uint8Array.from(clean.match(/../g) ?? [], (b) => parseInt(b, 16));
}

export function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

export interface ModbusVector {
  name: string;
  request: string;
  response: string;
}

/** §12.1. For M5–M13 "…" stands for the request's own transaction id, protocol id, length 6 and unit. */
export const M = {
  M1: { name: "M1", request: "0000 0000 0006 FF 03 1015 0001", response: "0000 0000 0005 FF 03 02 0001" },
  M2: { name: "M2", request: "0001 0000 0006 FF 06 2006 0001", response: "0001 0000 0006 FF 06 2006 0001" },
  M3: { name: "M3", request: "0002 0000 000D FF 10 2111 0003 06 C262F976507C", response: "0002 0000 0006 FF 10 2111 0003" },
  M4: {
    name: "M4",
    request:
      "000B 0000 0037 FF 10 2115 0018 30 67E426560A70CA4A833C44B31270CA9355D87B020F578E1E9D1974C02FA6F6804C2FCBDF735E711CEC085B93814716AD",
    response: "000B 0000 0006 FF 10 2115 0018",
  },
  M5: { name: "M5", request: "0018 0000 000B FF 10 2102 0002 04 42C80000", response: "0018 0000 0006 FF 10 2102 0002" },
  M6: { name: "M6", request: "0019 0000 000B FF 10 2107 0002 04 3F800000", response: "0019 0000 0006 FF 10 2107 0002" },
  M7: { name: "M7", request: "001A 0000 000B FF 10 2100 0002 04 447A0000", response: "001A 0000 0006 FF 10 2100 0002" },
  M8: { name: "M8", request: "001B 0000 000B FF 10 2105 0002 04 42C80000", response: "001B 0000 0006 FF 10 2105 0002" },
  M9: { name: "M9", request: "001C 0000 000B FF 10 212D 0002 04 42700000", response: "001C 0000 0006 FF 10 212D 0002" },
  M10: { name: "M10", request: "001D 0000 0006 FF 06 212F 0001", response: "001D 0000 0006 FF 06 212F 0001" },
  M11: { name: "M11", request: "0004 0000 000F FF 10 2013 0004 08 3EE4F8B588E368F1", response: "0004 0000 0006 FF 10 2013 0004" },
  M12: { name: "M12", request: "0005 0000 000B FF 10 2007 0002 04 43638000", response: "0005 0000 0006 FF 10 2007 0002" },
  M13: { name: "M13", request: "1247 0000 0013 01 10 2007 0006 0C 436680004367000043658000", response: "1247 0000 0006 01 10 2007 0006" },
  M14: { name: "M14", request: "000E 0000 0006 FF 03 110B 0001", response: "000E 0000 0005 FF 03 02 0008" },
  M15: { name: "M15", request: "003F 0000 0006 FF 03 110E 0001", response: "003F 0000 0005 FF 03 02 0001" },
  M16: { name: "M16", request: "1235 0000 0006 01 03 0000 0005", response: "1235 0000 000D 01 03 0A 0002 0080 0001 0000 0003" },
  M17: { name: "M17", request: "1236 0000 0006 01 03 0013 0018", response: "1236 0000 0033 01 03 30 76312E322E33" + "00".repeat(42) },
  M18: {
    name: "M18",
    request: "1238 0000 0006 01 03 1015 000C",
    response: "1238 0000 001B 01 03 18 0001 30313233343536373839414243444546 000000000000",
  },
  M19: { name: "M19", request: "1239 0000 0006 01 03 1024 0002", response: "1239 0000 0007 01 03 04 6B0183D5" },
  M20: { name: "M20", request: "1249 0000 0006 01 06 4000 0001", response: "1249 0000 0006 01 06 4000 0001" },
  M21: { name: "M21", request: "124A 0000 000B 01 10 4040 0002 04 00010002", response: "124A 0000 0006 01 10 4040 0002" },
  M22: { name: "M22", request: "124D 0000 0006 01 03 9999 0001", response: "124D 0000 0005 01 03 02 0000" },
  M23: { name: "M23", request: "124E 0000 0006 01 03 9999 0000", response: "124E 0000 0003 01 83 03" },
  M24: { name: "M24", request: "124F 0000 0006 01 04 0000 0001", response: "124F 0000 0003 01 84 01" },
} satisfies Record<string, ModbusVector>;

/** The clock of the machine that captured M19 (1795261397 s). */
export const M19_SECONDS = 0x6b0183d5;

/** The mock's constant HMAC key (§7), the payload of M4. */
export const MOCK_KEY = "67e426560a70ca4a833c44b31270ca9355d87b020f578e1e9d1974c02fa6f6804c2fcbdf735e711cec085b93814716ad";

/** §12.2 unsolicited reports. */
export const U = {
  U1: "0000 0000 0044 00 41 91 003F 00 0001 0000 0008 1024 0002 6B01837D 3001 0004 0000000000000000 110B 0001 0000 110D 0001 0000 1154 0001 0001 1156 0001 0001 3105 0001 0000 3115 0001 0000",
  U2: "0002 0000 004A 00 41 91 0045 00 0001 0000 0009 1024 0002 6B01837F 3001 0004 0000000000000000 110B 0001 0001 110D 0001 0002 1154 0001 0001 1156 0001 0001 117E 0001 0000 3105 0001 0000 3115 0001 0000",
  U3: "0011 0000 0044 00 41 91 003F 00 0001 0000 0008 1024 0002 6B01838E 3001 0004 0001000000000000 110B 0001 0003 110D 0001 0002 1154 0001 0001 1156 0001 0001 3105 0001 0001 3115 0001 0000",
};
