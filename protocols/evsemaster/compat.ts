// No compatible layout: the tools EVSEMaster replaces (the OEM app, the emproto libraries and their
// ports) publish nothing on MQTT, so there is no topic tree to stay compatible with. The protocol's
// own view of a charger is the retained detail document `<base>/<id>/evsemaster` (device.ts), next
// to the normalized layout. This file exists so the folder has every role of PIPELINE.md.
export {};
