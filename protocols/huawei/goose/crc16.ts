// CRC-16/MODBUS (reflected polynomial 0xA001, init 0xFFFF, no final XOR), spec §6.1.

const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xa001 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** CRC-16/MODBUS("123456789") = 0x4B37. */
export function crc16Modbus(data: Uint8Array): number {
  let c = 0xffff;
  for (const b of data) c = (TABLE[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8);
  return c & 0xffff;
}
