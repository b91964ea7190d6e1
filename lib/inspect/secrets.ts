// The one list of what browse, compare and export never show: every column that holds a secret
// or something a secret can be derived from or replayed with. A new secret column goes here, and
// the unit test that reads prisma/schema.prisma fails until it does (tests/unit/inspect.test.ts).
// Used inside the worker thread (no imports): the values are replaced before a row leaves it.
import type { Cell } from "./types";

export const MASKED = "••••••";

type MaskRule =
  /** The whole value. */
  | { table: string; column: string }
  /** Named fields of a JSON value (the rest of it stays readable); all of it when it is not JSON. */
  | { table: string; column: string; jsonFields: readonly string[] };

export const MASK_RULES: readonly MaskRule[] = [
  { table: "User", column: "passwordHash" },
  { table: "ApiToken", column: "tokenHash" },
  { table: "TwoFactor", column: "secret" },
  { table: "RecoveryCode", column: "codeHash" },
  // The session cookie carries this id: with the server's signing secret it is a signed-in browser.
  { table: "Session", column: "id" },
  // Webhook signing key or SMTP password.
  { table: "AlertChannel", column: "secret" },
  // The offsite target's S3 secret access key (any setting's secret-looking field, to be safe).
  {
    table: "SystemSetting",
    column: "valueJson",
    jsonFields: ["secretAccessKey", "secret", "password", "accessKey", "privateKey", "identity"],
  },
];

/** The masked columns of `table`. */
export function maskedColumns(table: string): string[] {
  return MASK_RULES.filter((rule) => rule.table === table).map((rule) => rule.column);
}

function maskJson(value: Cell, fields: readonly string[]): Cell {
  if (value === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(value));
  } catch {
    return MASKED;
  }
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (node && typeof node === "object") {
      return Object.fromEntries(
        Object.entries(node).map(([k, v]) => [k, fields.includes(k) && v !== null && v !== "" ? MASKED : walk(v)]),
      );
    }
    return node;
  };
  return JSON.stringify(walk(parsed));
}

/**
 * A function that masks one row of `table` given as values in `columns` order; identity when the
 * table has no secret.
 */
export function rowMasker(table: string, columns: readonly string[]): (row: Cell[]) => Cell[] {
  const rules = MASK_RULES.filter((rule) => rule.table === table)
    .map((rule) => ({ rule, index: columns.indexOf(rule.column) }))
    .filter(({ index }) => index >= 0);
  if (rules.length === 0) return (row) => row;
  return (row) => {
    const out = row.slice();
    for (const { rule, index } of rules) {
      out[index] = "jsonFields" in rule ? maskJson(out[index]!, rule.jsonFields) : out[index] === null ? null : MASKED;
    }
    return out;
  };
}
