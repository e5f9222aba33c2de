// The reporter's free text is shown to moderators (Discord, admin tools): characters that can hide
// or reorder what they read are removed before it is stored.

/**
 * Whether a UTF-16 code unit is removed from a report's reason: C0 controls but the line feed, DEL,
 * C1 controls, the bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069)
 * and the direction marks (U+200E, U+200F, U+061C). Zero-width joiners stay: emoji sequences need them.
 */
export function isInvisibleOrReordering(code: number): boolean {
  return (
    (code <= 0x1f && code !== 0x0a) ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x061c ||
    code === 0x200e ||
    code === 0x200f ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

/**
 * The reason as stored: line breaks made `\n` (a tab becomes a space), every character that
 * {@link isInvisibleOrReordering} names removed, then trimmed.
 */
export function cleanReportReason(raw: string): string {
  let out = '';
  for (const char of raw.replace(/\r\n?/g, '\n').replace(/\t/g, ' ')) {
    if (!isInvisibleOrReordering(char.charCodeAt(0))) out += char;
  }
  return out.trim();
}
