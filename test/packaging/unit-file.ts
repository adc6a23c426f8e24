/** A systemd unit file read as systemd reads it: sections of `Key=value` lines; a key may repeat. */
export type UnitFile = Map<string, [string, string][]>;

export function parseUnit(text: string): UnitFile {
  const unit: UnitFile = new Map();
  let section: [string, string][] | undefined;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    let line = (lines[i] ?? "").trim();
    while (line.endsWith("\\") && i + 1 < lines.length) line = `${line.slice(0, -1)} ${(lines[++i] ?? "").trim()}`;
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header?.[1]) {
      section = unit.get(header[1]) ?? [];
      unit.set(header[1], section);
      continue;
    }
    const eq = line.indexOf("=");
    if (!section || eq <= 0) throw new Error(`line ${i + 1} is neither a [Section] nor Key=value: ${line}`);
    section.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
  }
  return unit;
}

/** Every value of `key` in `section`, in file order. */
export function unitValues(unit: UnitFile, section: string, key: string): string[] {
  return (unit.get(section) ?? []).filter(([k]) => k === key).map(([, v]) => v);
}
