// fetch() for the console's own JSON API: throws the server's { error: { message } } as an Error.
export async function apiRequest<T>(url: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(url, {
    ...init,
    cache: "no-store",
    headers: typeof init.body === "string" ? { "Content-Type": "application/json", ...init.headers } : init.headers,
  });
  const body = (await response.json().catch(() => null)) as (T & { error?: { message?: string } }) | null;
  if (!response.ok) throw new Error(body?.error?.message ?? `HTTP ${response.status}`);
  return body as T;
}
