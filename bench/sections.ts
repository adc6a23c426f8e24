// The per-protocol parts of `make bench`, in the order they run. A new protocol (e.g. OCPP) adds
// bench/<protocol>.ts exporting a BenchSection and one line here; start-up and idle runs enable it too.
import { dehneSection } from "./dehne.ts";
import { evsemasterSection } from "./evsemaster.ts";
import type { BenchSection } from "./harness.ts";
import { huaweiSection } from "./huawei.ts";
import { ocppSection } from "./ocpp.ts";
import { openevseSection } from "./openevse.ts";

export const SECTIONS: BenchSection[] = [dehneSection, evsemasterSection, ocppSection, huaweiSection, openevseSection];
