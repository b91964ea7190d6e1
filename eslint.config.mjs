// ESLint (flat config): Next's rules (React, hooks, a11y, Core Web Vitals), typescript-eslint's,
// no import cycles, and nothing that Prettier decides (eslint-config-prettier last).
import { defineConfig, globalIgnores } from "eslint/config";
import nextVitals from "eslint-config-next/core-web-vitals";
import nextTypescript from "eslint-config-next/typescript";
import prettier from "eslint-config-prettier";

export default defineConfig([
  ...nextVitals,
  ...nextTypescript,
  {
    files: ["**/*.{js,jsx,mjs,ts,tsx,mts,cts}"],
    rules: {
      // Imports only point down (lib/ layers, app/ over lib/): a cycle is a layering mistake.
      "import/no-cycle": ["error", { ignoreExternal: true }],
      // `_name` marks a value deliberately unused (a destructured field left out).
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
    },
  },
  {
    // CommonJS on purpose: the bench's helper processes run with plain node.
    files: ["**/*.cjs"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  prettier,
  globalIgnores([
    ".next/**",
    "dist/**",
    "lib/generated/**",
    "node_modules/**",
    "test-results/**",
    "playwright-report/**",
    "next-env.d.ts",
    "data/**",
  ]),
]);
