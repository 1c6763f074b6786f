// Secrets are wrapped so that printing or logging one by accident shows a placeholder. The
// value is reachable only through reveal(), which makes every use of it easy to find.

const REDACTED = '[redacted]';

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return REDACTED;
  }
}

/** Replaces every occurrence of each secret's value (and URL-embedded passwords) in text. */
export function redact(text: string, secrets: readonly Secret[] = []): string {
  let out = text;
  for (const s of secrets) {
    const v = s.reveal();
    if (v.length >= 3) out = out.split(v).join(REDACTED);
  }
  // Passwords inside connection URLs (postgres://user:pass@host) never reach a log.
  return out.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]+:)([^@\s]+)(@)/gi, `$1${REDACTED}$3`);
}
