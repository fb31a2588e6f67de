/**
 * The message of an OpenAI-style error body (`{"error": {"message": ...}}`, `{"error": "..."}`
 * or `{"message": ...}`), for the providers that make their own HTTP requests; undefined when
 * the body says nothing readable (the HTTP status then speaks for it).
 */
export function openAIErrorMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown } | null;
    if (typeof parsed?.error === "string") return parsed.error;
    if (typeof parsed?.error?.message === "string") return parsed.error.message;
    if (typeof parsed?.message === "string") return parsed.message;
  } catch {
    // Not JSON.
  }
  return undefined;
}
