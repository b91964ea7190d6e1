// fetch() for the console's own JSON API: throws the server's { error: { code, message } } as an
// ApiError that keeps the status, so the page can tell an ended session (401) from a refusal.
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | null,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export function apiErrorOf(status: number, body: unknown): ApiError {
  const error = (body as { error?: { code?: string; message?: string } } | null)?.error;
  if (status === 401) {
    return new ApiError(401, error?.code ?? "unauthenticated", "Your session has ended. Sign in again to continue.");
  }
  return new ApiError(status, error?.code ?? null, error?.message ?? `The server answered HTTP ${status}.`);
}

export async function apiRequest<T>(url: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(url, {
    ...init,
    cache: "no-store",
    headers: typeof init.body === "string" ? { "Content-Type": "application/json", ...init.headers } : init.headers,
  });
  const body = (await response.json().catch(() => null)) as unknown;
  if (!response.ok) throw apiErrorOf(response.status, body);
  return body as T;
}
