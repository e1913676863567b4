/** A request header by name, whatever its case (HTTP header names are case-insensitive; API Gateway passes them as sent). */
export const requestHeader = (event: { headers?: Record<string, string | undefined> | null }, name: string): string | undefined => {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === wanted) return v ?? undefined;
  return undefined;
};
