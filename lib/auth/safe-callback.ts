// Where to send the browser after sign-in: only a path of this console. "Starts with / and not
// //" is not enough: browsers read `/\host` as `//host`, and URL parsing drops tabs and newlines
// (`/\t/host`), so the value is parsed against a placeholder origin and must stay on it.
const PLACEHOLDER = "http://opstage.invalid";

export function safeCallbackPath(value: unknown): string {
  if (typeof value !== "string" || !value.startsWith("/") || value.includes("\\")) return "/";
  let url: URL;
  try {
    url = new URL(value, PLACEHOLDER);
  } catch {
    return "/";
  }
  if (url.origin !== PLACEHOLDER) return "/";
  const path = `${url.pathname}${url.search}${url.hash}`;
  // "/.//host" parses to the path "//host", which a browser would again read as a host.
  return path.startsWith("//") ? "/" : path;
}

/**
 * Whether next-auth accepts `value` as a callbackUrl (its assertConfig): a path, or an http(s)
 * URL. Anything else it answers with a 500 after logging the value.
 */
export function isCallbackUrlNextAuthTakes(value: string, origin: string): boolean {
  try {
    return /^https?:$/.test(new URL(value, value.startsWith("/") ? origin : undefined).protocol);
  } catch {
    return false;
  }
}
