// The running build's version, from package.json, and how the console shows it.
import packageJson from "../package.json";
import type { Config } from "./config";

export const APP_VERSION: string = packageJson.version;
export const EDITION = "CE";

export function versionInfo(config: Config) {
  return {
    version: APP_VERSION,
    edition: EDITION,
    commit: config.build.commit ?? null,
    buildTime: config.build.time ?? null,
  };
}
