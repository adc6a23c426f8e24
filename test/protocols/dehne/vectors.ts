// Test vectors of dehne.md §10, as hex and JSON exactly as the spec gives them.
export const SERIAL = "10BA23AB50534D53302E3120FF162332";

export function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, "");
  return Uint8Array.from(clean.match(/../g)!.map((b) => parseInt(b, 16)));
}

export const V1 = { bytes: hex("10 BA 23 AB 50 53 4D 53 30 2E 31 20 FF 16 23 32 04"), json: `{"message_type":"new_connection","client_id":"10BA23AB50534D53302E3120FF162332","handshake":{"firmware_version":4}}` };
export const V2 = { bytes: hex("79 5A F5 21 50 53 4D 53 30 2E 31 20 FF 16 11 2E 09"), json: `{"message_type":"new_connection","client_id":"Charger 2","handshake":{"firmware_version":9}}` };
export const V3 = { bytes: hex("01 00 00 00 00"), json: `{"message_type":"response_ping","client_id":"10BA23AB50534D53302E3120FF162332"}` };
export const V4 = { bytes: hex("64 00 00 00 00"), json: `{"message_type":"notify","client_id":"10BA23AB50534D53302E3120FF162332"}` };
export const V5 = { bytes: hex("03 00 00 00 00"), json: `{"message_type":"response_set_pwm_percent","client_id":"10BA23AB50534D53302E3120FF162332"}` };
export const V6 = { bytes: hex("04 00 00 00 00"), json: `{"message_type":"response_set_contactor_state","client_id":"10BA23AB50534D53302E3120FF162332"}` };
export const V7 = {
  bytes: hex(`02 00 00 00 2C
00 64 00 03
00 00 00 00  00 00 00 00  00 00 00 00
00 00 00 00  00 00 00 00  00 00 00 00
FF FF FF B3  00 00 00 2A
00 00 00 00  00 00 00 00`),
  json: `{"message_type":"response_collect_data","client_id":"10BA23AB50534D53302E3120FF162332","pwm_percent":100,"contactor_state":false,"measurements":{"pilot_voltage":"volt_12","proximity_pilot_amps":"no_cable","phase1_millivolts":0,"phase2_millivolts":0,"phase3_millivolts":0,"phase1_milliamps":0,"phase2_milliamps":0,"phase3_milliamps":0,"wifi_rssi":-77,"uptime_milliseconds":42,"current_control_pilot_adc":0,"current_proximity_pilot_adc":0,"logging_buffer":""}}`,
};
export const V8 = {
  bytes: hex(`02 00 00 00 4F
01 36 02 02
00 00 0A FA  00 00 0A F5  00 00 0A EF
00 00 05 F0  00 00 05 DA  00 00 05 E6
FF FF FF C3  00 36 EE 80
00 00 05 B4  00 00 03 DE
31 32 33 34 35 36 37 3A 20 50 57 4D 20 70 65 72 63 65 6E 74 20 75 70 64 61 74 65 64 20 74 6F 20 35 34 00`),
  json: `{"message_type":"response_collect_data","client_id":"10BA23AB50534D53302E3120FF162332","pwm_percent":54,"contactor_state":true,"measurements":{"pilot_voltage":"volt_6","proximity_pilot_amps":"amp_32","phase1_millivolts":2810,"phase2_millivolts":2805,"phase3_millivolts":2799,"phase1_milliamps":1520,"phase2_milliamps":1498,"phase3_milliamps":1510,"wifi_rssi":-61,"uptime_milliseconds":3600000,"current_control_pilot_adc":1460,"current_proximity_pilot_adc":990,"logging_buffer":"1234567: PWM percent updated to 54\\u0000"}}`,
};
export const V9 = {
  bytes: hex(`02 00 00 00 41
00 64 01 01
00 00 0A 8C  00 00 0A 8D  00 00 0A 8E
00 00 00 50  00 00 00 51  00 00 00 52
FF FF FF C9  00 00 13 88
35 30 30 30 3A 20 53 77 69 74 63 68 65 64 20 63 6F 6E 74 61 63 74 6F 72 20 6F 66 66 00`),
  json: `{"message_type":"response_collect_data","client_id":"Charger 2","pwm_percent":100,"contactor_state":false,"measurements":{"pilot_voltage":"volt_9","proximity_pilot_amps":"amp_20","phase1_millivolts":2700,"phase2_millivolts":2701,"phase3_millivolts":2702,"phase1_milliamps":80,"phase2_milliamps":81,"phase3_milliamps":82,"wifi_rssi":-55,"uptime_milliseconds":5000,"current_control_pilot_adc":0,"current_proximity_pilot_adc":0,"logging_buffer":"5000: Switched contactor off\\u0000"}}`,
};
export const V10 = { bytes: hex("01 00 00 00 00"), json: `{"message_type":"request_ping","client_id":"10BA23AB50534D53302E3120FF162332"}` };
export const V11 = { bytes: hex("03 00 00 00 00"), json: `{"message_type":"request_data_collection","client_id":"10BA23AB50534D53302E3120FF162332"}` };
export const V12 = { bytes: hex("04 00 00 00 01 32"), json: `{"message_type":"request_set_pwm_percent","client_id":"10BA23AB50534D53302E3120FF162332","pwm_percent":50}` };
export const V13 = { bytes: hex("04 00 00 00 01 64"), json: `{"message_type":"request_set_pwm_percent","client_id":"10BA23AB50534D53302E3120FF162332","pwm_percent":100}` };
export const V14 = { bytes: hex("05 00 00 00 01 01"), json: `{"message_type":"request_set_contactor_state","client_id":"10BA23AB50534D53302E3120FF162332","contactor_state":true}` };
export const V15 = { bytes: hex("05 00 00 00 01 00"), json: `{"message_type":"request_set_contactor_state","client_id":"10BA23AB50534D53302E3120FF162332","contactor_state":false}` };
export const V16 = {
  bytes: hex("02 00 00 00 0D CB F4 39 26 31 32 33 34 35 36 37 38 39"),
  json: `{"message_type":"request_firmware","client_id":"10BA23AB50534D53302E3120FF162332","firmware":{"firmware_data_base64":"MTIzNDU2Nzg5","firmware_crc32":3421780262}}`,
};
