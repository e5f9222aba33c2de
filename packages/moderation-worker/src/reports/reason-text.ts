// The reporter's free text is shown to moderators (Discord, admin tools): characters that can hide
// or reorder what they read are removed before it is stored.

/**
 * Characters removed from a report's reason: C0 controls but the line feed, DEL, C1 controls, the
 * bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) and the direction
 * marks (U+200E, U+200F, U+061C). Zero-width joiners stay: emoji sequences need them.
 */
const INVISIBLE_OR_REORDERING =
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * The reason as stored: line breaks made `\n` (a tab becomes a space), every character of
 * {@link INVISIBLE_OR_REORDERING} removed, then trimmed.
 */
export function cleanReportReason(raw: string): string {
  return raw.replace(/\r\n?/g, '\n').replace(/\t/g, ' ').replace(INVISIBLE_OR_REORDERING, '').trim();
}
