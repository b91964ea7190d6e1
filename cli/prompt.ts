// Passwords come from standard input, never from argv (argv is visible in `ps` and shell history).
// On a terminal: prompted twice without echo (@inquirer/password). Piped: the whole input, minus
// one trailing newline.
import password from "@inquirer/password";
import { createInterface } from "node:readline";

async function readAll(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

export async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) return readAll();
  const first = await password({ message: "New password:" });
  const second = await password({ message: "Repeat password:" });
  if (first !== second) throw new Error("The passwords do not match.");
  return first;
}

/** One visible line from the terminal. */
export async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  return new Promise((resolve) => rl.question(question, (answer) => (rl.close(), resolve(answer))));
}
