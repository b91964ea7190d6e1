// An email delivery through the channel's SMTP server (nodemailer): plain text, one message to
// every recipient.
import { isIP } from "node:net";
import type { EmailConfig } from "./channels";
import type { AlertEvent } from "./events";
import { checkedAddress, PrivateTargetError } from "./target-address";

const SMTP_TIMEOUT_MS = 15_000;

export function emailText(event: AlertEvent, instance: string | null): { subject: string; text: string } {
  const details = Object.entries(event.details ?? {})
    .filter(([, value]) => value !== null && value !== undefined)
    .map(([key, value]) => `${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`);
  return {
    subject: `[Opstage] ${event.title}`,
    text: [
      event.message,
      "",
      `Event: ${event.type} (${event.severity})`,
      `When: ${event.at}`,
      ...(instance ? [`Console: ${instance}`] : []),
      ...(details.length > 0 ? ["", ...details] : []),
    ].join("\n"),
  };
}

/** One attempt; resolves when the server accepted the message, throws a one-line reason otherwise. */
export async function sendEmail(
  config: EmailConfig,
  password: string | null,
  event: AlertEvent,
  instance: string | null,
): Promise<void> {
  // The checked address itself is what nodemailer connects to (it would resolve the name again,
  // maybe to another address); TLS still verifies the certificate against the name.
  let address: string;
  try {
    address = await checkedAddress(config.host);
  } catch (error) {
    if (error instanceof PrivateTargetError) throw error;
    throw new Error(
      `SMTP ${config.host}:${config.port}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  // Loaded on first use, not with the server (start-up imports the alert channels).
  const { default: nodemailer } = await import("nodemailer");
  const transport = nodemailer.createTransport({
    host: address,
    ...(isIP(config.host) === 0 ? { tls: { servername: config.host } } : {}),
    port: config.port,
    secure: config.security === "tls",
    requireTLS: config.security === "starttls",
    ignoreTLS: config.security === "none",
    auth: config.username ? { user: config.username, pass: password ?? "" } : undefined,
    connectionTimeout: SMTP_TIMEOUT_MS,
    greetingTimeout: SMTP_TIMEOUT_MS,
    socketTimeout: SMTP_TIMEOUT_MS,
  });
  try {
    const { subject, text } = emailText(event, instance);
    await transport.sendMail({ from: config.from, to: config.to, subject, text });
  } catch (error) {
    throw new Error(`SMTP ${config.host}:${config.port}: ${(error as Error).message}`);
  } finally {
    transport.close();
  }
}
