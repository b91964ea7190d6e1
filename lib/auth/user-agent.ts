// "Firefox 128 on Ubuntu" from a User-Agent header, for the session lists, with bowser (a kept
// parser: user agents are a moving target not worth a hand-written table).
import Bowser from "bowser";

export type UserAgentDescription = { browser: string; os: string };

export function describeUserAgent(userAgent: string | null): UserAgentDescription {
  if (!userAgent) return { browser: "Unknown browser", os: "unknown system" };
  const parsed = Bowser.parse(userAgent);
  const major = parsed.browser.version?.split(".")[0];
  const browser = parsed.browser.name
    ? `${parsed.browser.name}${major ? ` ${major}` : ""}`
    : // Scripts and command-line clients: their product token ("curl/8.5.0" → "curl 8").
      (userAgent
        .match(/^([A-Za-z][\w.-]{0,40})(?:\/(\d+))?/)
        ?.slice(1)
        .filter(Boolean)
        .join(" ") ?? "Unknown browser");
  const os = parsed.os.name
    ? `${parsed.os.name}${parsed.os.versionName ? ` ${parsed.os.versionName}` : ""}`
    : "unknown system";
  return { browser, os };
}
