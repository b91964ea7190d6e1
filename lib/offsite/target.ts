// The offsite target: an S3-compatible bucket, which backup kinds are copied there, how many
// scheduled copies it keeps, and the optional age recipient. Saved in SystemSetting by an owner;
// every OPSTAGE_OFFSITE_* variable that is set wins over the saved value of its field.
//
// The secret access key is write-only: publicTarget() is the only shape that leaves lib/offsite,
// and it says whether a secret is set, never what it is.
import { z } from "zod";
import { KnownError } from "../errors";
import type { Config } from "../config";
import { getPrisma } from "../db/prisma";
import { readSystemSetting } from "../db/raw-reads";
import { OFFSITE_TARGET_KEY } from "../backup/offsite-setting-keys";

export const OFFSITE_KINDS = ["manual", "scheduled", "pre-upgrade"] as const;
export type OffsiteKind = (typeof OFFSITE_KINDS)[number];

export type OffsiteTarget = {
  /** null: AWS S3 itself, found from the region. */
  endpoint: string | null;
  region: string;
  bucket: string;
  /** Key prefix without a trailing slash; "" for the bucket's root. */
  prefix: string;
  pathStyle: boolean;
  accessKeyId: string;
  secretAccessKey: string;
  /** age X25519 recipient; null copies unencrypted. */
  recipient: string | null;
  kinds: OffsiteKind[];
  keepScheduled: number;
};

export type PublicOffsiteTarget = Omit<OffsiteTarget, "secretAccessKey"> & {
  configured: boolean;
  secretSet: boolean;
  /** Fields set by OPSTAGE_OFFSITE_* variables: shown, not editable in the console. */
  fromEnvironment: string[];
};

export class OffsiteConfigError extends KnownError {
  override name = "OffsiteConfigError";
  constructor(message: string) {
    super("invalid", "invalid_input", message);
  }
}

const DEFAULTS: OffsiteTarget = {
  endpoint: null,
  region: "us-east-1",
  bucket: "",
  prefix: "opstage",
  pathStyle: false,
  accessKeyId: "",
  secretAccessKey: "",
  recipient: null,
  kinds: ["manual", "scheduled", "pre-upgrade"],
  keepScheduled: 30,
};

export const RECIPIENT_PATTERN = /^age1[02-9ac-hj-np-z]{58}$/;

// The same rules as the OPSTAGE_OFFSITE_* variables (lib/config.ts), with one message per field
// saying what is wrong and what to enter.
const targetSchema = z.object({
  endpoint: z
    .url({
      protocol: /^https?$/,
      error: "Endpoint must be an http(s) URL such as https://s3.eu-central-1.amazonaws.com, or empty for AWS S3.",
    })
    .transform((u) => u.replace(/\/+$/, ""))
    .nullable(),
  region: z.string().regex(/^[a-z0-9-]{1,64}$/, "Region must be a region name such as us-east-1."),
  bucket: z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
      "Bucket must be a bucket name: 3-63 lowercase letters, digits, dots and hyphens.",
    ),
  prefix: z
    .string()
    .regex(
      /^([A-Za-z0-9][A-Za-z0-9._/-]{0,199})?$/,
      "Prefix must be letters, digits, . _ - and / (e.g. opstage/prod), or empty.",
    )
    .transform((p) => p.replace(/\/+$/, "")),
  pathStyle: z.boolean(),
  accessKeyId: z.string().min(1, "Access key id is required.").max(256, "Access key id is at most 256 characters."),
  secretAccessKey: z
    .string()
    .min(1, "Secret access key is required.")
    .max(1024, "Secret access key is at most 1024 characters."),
  recipient: z
    .string()
    .regex(
      RECIPIENT_PATTERN,
      "Recipient must be an age X25519 public key (age1…, 62 characters; `age-keygen -y key.txt` prints it), or empty for no encryption.",
    )
    .nullable(),
  kinds: z.array(z.enum(OFFSITE_KINDS, "Kinds are manual, scheduled and pre-upgrade.")),
  keepScheduled: z
    .number()
    .int("Keep must be a whole number.")
    .min(1, "Keep must be at least 1.")
    .max(1000, "Keep must be at most 1000."),
});

/** What an owner sends; an empty or absent secret keeps the saved one. */
export type OffsiteTargetInput = Omit<OffsiteTarget, "secretAccessKey"> & { secretAccessKey?: string | null };

function validate(target: OffsiteTarget): OffsiteTarget {
  const parsed = targetSchema.safeParse(target);
  if (!parsed.success) throw new OffsiteConfigError(parsed.error.issues[0]!.message);
  return { ...parsed.data, kinds: OFFSITE_KINDS.filter((kind) => parsed.data.kinds.includes(kind)) };
}

async function readSaved(): Promise<Partial<OffsiteTarget> | null> {
  return readSystemSetting<Partial<OffsiteTarget>>(OFFSITE_TARGET_KEY);
}

function environmentFields(config: Pick<Config, "offsite">): Partial<OffsiteTarget> {
  const env = config.offsite;
  const fields: Partial<OffsiteTarget> = {};
  for (const key of [
    "endpoint",
    "region",
    "bucket",
    "prefix",
    "pathStyle",
    "accessKeyId",
    "secretAccessKey",
    "recipient",
    "kinds",
    "keepScheduled",
  ] as const) {
    if (env[key] !== undefined) (fields as Record<string, unknown>)[key] = env[key];
  }
  return fields;
}

function merge(
  saved: Partial<OffsiteTarget> | null,
  config: Pick<Config, "offsite">,
): { target: OffsiteTarget; fromEnvironment: string[] } {
  const env = environmentFields(config);
  return { target: { ...DEFAULTS, ...saved, ...env }, fromEnvironment: Object.keys(env) };
}

function isConfigured(target: OffsiteTarget): boolean {
  return Boolean(target.bucket && target.accessKeyId && target.secretAccessKey);
}

/**
 * The target copies go to, or null when none is configured. `useDatabase: false` reads the
 * environment alone: the "server is gone" drill runs on an empty data dir.
 */
export async function loadOffsiteTarget(
  config: Pick<Config, "offsite">,
  useDatabase = true,
): Promise<OffsiteTarget | null> {
  const { target } = merge(useDatabase ? await readSaved() : null, config);
  return isConfigured(target) ? validate(target) : null;
}

export function publicTarget(target: OffsiteTarget, fromEnvironment: string[]): PublicOffsiteTarget {
  const { secretAccessKey, ...shown } = target;
  return { ...shown, configured: isConfigured(target), secretSet: secretAccessKey.length > 0, fromEnvironment };
}

export async function describeOffsiteTarget(config: Pick<Config, "offsite">): Promise<PublicOffsiteTarget> {
  const { target, fromEnvironment } = merge(await readSaved(), config);
  return publicTarget(target, fromEnvironment);
}

/** Saves an owner's target (the environment's fields still win); returns what is in force. */
export async function saveOffsiteTarget(
  config: Pick<Config, "offsite">,
  input: OffsiteTargetInput,
): Promise<PublicOffsiteTarget> {
  const saved = await readSaved();
  const candidate: OffsiteTarget = {
    ...input,
    endpoint: input.endpoint || null,
    recipient: input.recipient || null,
    secretAccessKey: input.secretAccessKey || saved?.secretAccessKey || "",
  };
  // Checked as it will be used (the environment's fields win); stored as entered, so that the
  // environment's values (its secret above all) are never copied into the database.
  validate({ ...candidate, ...environmentFields(config) });
  const valueJson = JSON.stringify(candidate);
  await getPrisma().systemSetting.upsert({
    where: { key: OFFSITE_TARGET_KEY },
    create: { key: OFFSITE_TARGET_KEY, valueJson },
    update: { valueJson },
  });
  return describeOffsiteTarget(config);
}

/** Forgets the saved target (the environment's, if any, stays in force). */
export async function clearOffsiteTarget(): Promise<void> {
  await getPrisma().systemSetting.deleteMany({ where: { key: OFFSITE_TARGET_KEY } });
}
