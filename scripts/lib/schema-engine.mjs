// Drives Prisma's real schema engine, compiled to wasm, for the two jobs the native CLI would do
// if it could download its engine here: writing a new migration and diffing migrations against
// the schema (the drift test). It is a development tool only: the server applies migrations with
// lib/migrate, which wraps each file in a transaction (the engine does not).
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import * as engineBindings from "@prisma/schema-engine-wasm/schema_engine_bg";

const require = createRequire(import.meta.url);
export const projectRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
export const schemaPath = path.join(projectRoot, "prisma/schema.prisma");
export const migrationsDir = path.join(projectRoot, "prisma/migrations");

let instantiated = false;
// The package's entry does `import * as wasm from "./x.wasm"`, which Node 20 cannot load, so the
// module is instantiated by hand against the package's JS glue.
function instantiateEngine() {
  if (instantiated) return;
  const gluePath = require.resolve("@prisma/schema-engine-wasm/schema_engine_bg");
  const wasmBytes = readFileSync(path.join(path.dirname(gluePath), "schema_engine_bg.wasm"));
  const instance = new WebAssembly.Instance(new WebAssembly.Module(wasmBytes), {
    "./schema_engine_bg.js": engineBindings,
  });
  engineBindings.__wbg_set_wasm(instance.exports);
  instance.exports.__wbindgen_start();
  instantiated = true;
}

// The engine sends a whole migration file through executeRaw with no arguments; better-sqlite3's
// prepare() runs only the first statement of such a string, so those go to executeScript (exec).
function routeScriptsToExec(adapter) {
  const executeRaw = adapter.executeRaw.bind(adapter);
  adapter.executeRaw = (query) =>
    query.args.length === 0 ? adapter.executeScript(query.sql).then(() => 0) : executeRaw(query);
  return adapter;
}

function adapterFactoryFor(url) {
  const factory = new PrismaBetterSqlite3({ url });
  const opened = [];
  const wrapped = {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => {
      const adapter = routeScriptsToExec(await factory.connect());
      opened.push(adapter);
      return adapter;
    },
    connectToShadowDb: async () => {
      const adapter = routeScriptsToExec(await factory.connectToShadowDb());
      opened.push(adapter);
      return adapter;
    },
  };
  return { factory: bindMigrationAwareSqlAdapterFactory(wrapped), opened };
}

export function readSchema() {
  return { files: [{ path: schemaPath, content: readFileSync(schemaPath, "utf8") }] };
}

export function readMigrationsList(dir = migrationsDir) {
  const names = existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
        .sort()
    : [];
  const lockPath = path.join(dir, "migration_lock.toml");
  return {
    baseDir: dir,
    lockfile: {
      path: "migration_lock.toml",
      content: existsSync(lockPath) ? readFileSync(lockPath, "utf8") : null,
    },
    shadowDbInitScript: "",
    migrationDirectories: names.map((name) => ({
      path: name,
      migrationFile: {
        path: "migration.sql",
        content: { tag: "ok", value: readFileSync(path.join(dir, name, "migration.sql"), "utf8") },
      },
    })),
  };
}

// Runs fn(engine) with an engine connected to `url` (":memory:" by default), disposing every
// adapter afterwards: the engine holds its SQLite connections with an exclusive lock.
export async function withSchemaEngine(fn, url = ":memory:") {
  instantiateEngine();
  const { factory, opened } = adapterFactoryFor(url);
  const logs = [];
  const engine = await engineBindings.SchemaEngine.new(
    { datamodels: [[schemaPath, readFileSync(schemaPath, "utf8")]] },
    (line) => logs.push(line),
    factory,
  );
  try {
    return await fn(engine);
  } finally {
    engine.free();
    for (const adapter of opened) await adapter.dispose().catch(() => {});
  }
}

export const noFilters = { externalTables: [], externalEnums: [] };

// SQL that takes the migrations directory to the schema; "" when they agree.
export async function diffMigrationsToSchema(dir = migrationsDir) {
  return withSchemaEngine(async (engine) => {
    const result = await engine.diff({
      from: { tag: "migrations", ...readMigrationsList(dir) },
      to: { tag: "schemaDatamodel", ...readSchema() },
      script: true,
      exitCode: null,
      filters: noFilters,
    });
    return result;
  });
}
