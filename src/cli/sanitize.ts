/**
 * Server data made safe for a terminal. Names, base models and metadata come from the service
 * (and from whoever published a checkpoint): printed raw, an escape sequence in them would drive
 * the user's terminal. JSON output is left exact; this is for tables and messages.
 * @module
 */

// C0 controls, DEL, C1 controls, and the bidirectional overrides/isolates ("Trojan source").
// deno-lint-ignore no-control-regex -- finding control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` with every control character shown as a visible escape (`\x1b`, `\n`, `\u202e`), so it
 * prints as the characters it is, never acts on the terminal.
 *
 * @example
 * ```ts
 * escapeControls("evil\x1b]0;pwned\x07"); // "evil\\x1b]0;pwned\\x07"
 * ```
 */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE, (ch) => {
    const code = ch.charCodeAt(0);
    if (ch === "\n") return "\\n";
    if (ch === "\t") return "\\t";
    if (ch === "\r") return "\\r";
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}
