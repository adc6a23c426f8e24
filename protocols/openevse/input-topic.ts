// Checking an input topic from the config, apart from the gateway's command parsers: the config
// schema needs only this, and importing gateway-commands.ts for it built that file's zod schemas
// (~150) in every bridge at start-up, OpenEVSE enabled or not.

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** An input topic from configuration: MQTT separates levels with `/` (the seed's `emon\emonpi\power1` is a typo, §13 item 14). */
export function checkInputTopic(topic: string): Parsed<string> {
  if (topic.includes("\\")) return { ok: false, error: `topic "${topic}" contains a backslash; MQTT topic levels are separated by / (did you mean "${topic.replaceAll("\\", "/")}"?)` };
  if (/[+#]/.test(topic) || topic === "") return { ok: false, error: `topic "${topic}" must be a plain topic without wildcards` };
  return { ok: true, value: topic };
}
