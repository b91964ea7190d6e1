// Types for schema-engine.mjs (used by the drift test).
export const projectRoot: string;
export const schemaPath: string;
export const migrationsDir: string;
export const noFilters: { externalTables: string[]; externalEnums: string[] };
export function diffMigrationsToSchema(dir?: string): Promise<{ exitCode: number; stdout: string | null }>;
