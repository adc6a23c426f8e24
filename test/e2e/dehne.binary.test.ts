import { LAUNCHERS } from "../support/bridge-process.ts";
import { dehneScenario } from "./dehne-scenario.ts";

dehneScenario(LAUNCHERS.binary);
