/**
 * The page frame every UI page shares: landmarks (header with navigation, main, footer), a
 * skip link, the stylesheet and the copy buttons' script, and the sign-in state.
 *
 * @module
 */

import type { Child } from "./jsx_runtime.ts";
import { SafeHtml } from "./safe_html.ts";
import { homeUrl, signInUrl, signOutUrl, staticUrl, tokensUrl } from "./urls.ts";
import { CSRF_FIELD } from "./csrf.ts";

/** Who is signed in, for the header. */
export interface Viewer {
  /** The user's name. */
  name: string;
  /** The session's CSRF token, for the sign-out form. */
  csrf: string;
}

/** What the layout needs besides the page's content. */
export interface LayoutProps {
  /** The page title (before " · modyard"). */
  title: string;
  /** The signed-in user, or `null`. */
  viewer: Viewer | null;
  /** The current path, for the sign-in link's return. */
  path?: string;
  /** The page's content (inside `<main>`). */
  children?: Child;
}

const DOCTYPE = new SafeHtml("<!DOCTYPE html>");

/** A whole HTML page. */
export function Layout(props: LayoutProps): SafeHtml {
  return (
    <>
      {DOCTYPE}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>{props.title} · modyard</title>
          <link rel="stylesheet" href={staticUrl("style.css")} />
          <script src={staticUrl("copy.js")} defer></script>
        </head>
        <body>
          <a class="skip" href="#main">Skip to content</a>
          <header class="site">
            <a class="brand" href={homeUrl()}>modyard</a>
            <nav aria-label="Account">
              <ul>
                {props.viewer
                  ? (
                    <>
                      <li>
                        Signed in as{" "}
                        <a href={`/${encodeURIComponent(props.viewer.name)}`}>
                          {props.viewer.name}
                        </a>
                      </li>
                      <li>
                        <a href={tokensUrl()}>Tokens</a>
                      </li>
                      <li>
                        <form method="post" action={signOutUrl()}>
                          <input type="hidden" name={CSRF_FIELD} value={props.viewer.csrf} />
                          <button type="submit">Sign out</button>
                        </form>
                      </li>
                    </>
                  )
                  : (
                    <li>
                      <a href={signInUrl(props.path)}>Sign in</a>
                    </li>
                  )}
              </ul>
            </nav>
          </header>
          <main id="main" tabindex="-1">{props.children}</main>
          <footer class="site">
            modyard — a Go module registry. <a href={homeUrl()}>Home</a>
          </footer>
        </body>
      </html>
    </>
  );
}

/** A snippet of text with a copy button (shown by the script; selectable text without it). */
export function CopySnippet(props: { id: string; label: string; text: string }): SafeHtml {
  return (
    <div class="snippet">
      <pre id={props.id} aria-label={props.label}><code>{props.text}</code></pre>
      <button type="button" data-copy={props.id} aria-label={`Copy ${props.label}`} hidden>
        Copy
      </button>
    </div>
  );
}
