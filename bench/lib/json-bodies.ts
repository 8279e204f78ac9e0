// Response bodies for the normalisation bench: the shape the example rules of docs/normalize.md
// rewrite (snake_case keys, a string score, a password hash, epoch dates, items with created_at),
// grown by items to about the size asked. Deterministic, so every run serves the same bytes.

export function userBody(targetBytes: number): string {
  const user: Record<string, unknown> = {
    user_id: 42,
    user_name: "Ada Lovelace",
    email: "Ada.Lovelace@Example.COM",
    score: "98.5",
    active: "true",
    password_hash: "$2b$12$abcdefghijklmnopqrstuvABCDEFGHIJKLMNOPQRSTUV012345",
    created: 1700000000,
    home_address: { street_name: "St James's Square", postal_code: "SW1Y 4LE", country_code: "GB" },
    items: [] as unknown[],
  };
  const items = user.items as unknown[];
  for (let i = 0; JSON.stringify(user).length < targetBytes - 120; i++) {
    items.push({ item_id: i, item_name: `item number ${i}`, unit_price: 10 + (i % 7), created_at: `2024-01-${String(1 + (i % 28)).padStart(2, "0")}T10:00:00Z` });
  }
  return JSON.stringify(user);
}

/** The files the bench backend serves under /json/. */
export const JSON_BODIES: Readonly<Record<string, number>> = { "user-1k.json": 1024, "user-64k.json": 64 * 1024 };
