import { LAUNCHERS } from "../support/bridge-process.ts";
import { allProtocolsScenario } from "./all-protocols.ts";

allProtocolsScenario(LAUNCHERS.binary);
