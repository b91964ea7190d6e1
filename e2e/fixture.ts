// What global-setup.ts started, shared with the tests through the environment.
export const E2E = {
  owner: { username: "owner", password: "owner-password-e2e" },
  viewer: { username: "vera", password: "viewer-password-e2e" },
  get dataDir(): string {
    const dir = process.env.OPSTAGE_E2E_DATA_DIR;
    if (!dir) throw new Error("OPSTAGE_E2E_DATA_DIR is not set: run through `playwright test` (global setup)");
    return dir;
  },
};
