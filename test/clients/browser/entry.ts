/** The browser bundle's entry: the client as a browser app gets it (the package's "browser" export). */
import { createMemoricClient } from "@memoric/client";
import { runScenario, type ScenarioParams } from "../scenario.js";

(globalThis as unknown as { runScenario: (p: ScenarioParams) => Promise<unknown> }).runScenario = (p) =>
  runScenario(createMemoricClient, p);
