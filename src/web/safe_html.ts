/**
 * Markup the web UI may emit as is: produced by the sanitiser or by the template layer,
 * never by concatenating untrusted text. Everything else a template receives is escaped.
 *
 * @module
 */

/** HTML that is safe to emit unescaped (sanitised or built from escaped parts). */
export class SafeHtml {
  /** Wraps markup already known to be safe. */
  constructor(
    /** The markup. */
    readonly html: string,
  ) {}

  /** The markup. */
  toString(): string {
    return this.html;
  }
}
