import { downloadsChart, MAX_BARS } from "../src/web/content/downloads_chart.tsx";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";

const rows = [
  { version: "v1.0.0", downloads: 3 },
  { version: "v1.1.0", downloads: 12 },
  { version: "v1.2.0-rc.1", downloads: 0 },
  { version: "v1.2.0", downloads: 1234 },
];

Deno.test("downloads chart: one accessible SVG image, bars scaled, the same numbers as a table", () => {
  const html = downloadsChart(rows).html;
  assertIncludes(
    html,
    '<svg role="img" aria-labelledby="downloads-chart-title downloads-chart-desc" viewBox="0 0 600 220"',
  );
  assertIncludes(html, '<title id="downloads-chart-title">Downloads per version</title>');
  const summary =
    "1,249 downloads across 4 versions, from v1.0.0 to v1.2.0; most: v1.2.0 with 1,234.";
  assertIncludes(html, `<desc id="downloads-chart-desc">${summary}</desc>`);
  assertIncludes(html, `<figcaption>${summary}</figcaption>`);
  // Scale top 2,000: the 1,234 bar is 0.617 of the 156-pixel plot (96.3), 3 is 0.2; four
  // 136-pixel slots from x = 48, bars 70% of a slot, centred.
  assertIncludes(html, '<rect x="476.4" y="71.7" width="95.2" height="96.3" fill="#1f5fa8">');
  assertIncludes(html, "<title>v1.2.0: 1,234 downloads</title>");
  assertIncludes(html, '<rect x="68.4" y="167.8" width="95.2" height="0.2"');
  assertIncludes(html, ">2,000</text>");
  assertEquals((html.match(/<rect /g) ?? []).length, 4);
  assertIncludes(html, "<tr><td>v1.2.0-rc.1</td><td>0</td></tr>");
  assertIncludes(html, '<th scope="col">Version</th>');
  assertOk(!/<script|\son\w+=|style=/i.test(html), "no script, handlers or inline style");
  assertEquals(downloadsChart(rows).html, html, "deterministic");
});

Deno.test("downloads chart: the newest versions only, labels thinned, ids prefixed", () => {
  const many = Array.from({ length: 45 }, (_, i) => ({ version: `v0.${i}.0`, downloads: i }));
  const html = downloadsChart(many, { id: "c2" }).html;
  assertEquals((html.match(/<rect /g) ?? []).length, MAX_BARS);
  assertOk(!html.includes("<td>v0.14.0</td>") && html.includes("<td>v0.15.0</td>"));
  assertIncludes(html, "(the newest 30 of 45)");
  assertIncludes(html, 'aria-labelledby="c2-title c2-desc"');
  const labels = [...html.matchAll(/<text class="label"[^>]*transform[^>]*>([^<]*)<\/text>/g)].map((
    m,
  ) => m[1]);
  assertEquals(labels, [
    "v0.17.0",
    "v0.20.0",
    "v0.23.0",
    "v0.26.0",
    "v0.29.0",
    "v0.32.0",
    "v0.35.0",
    "v0.38.0",
    "v0.41.0",
    "v0.44.0",
  ]);
});

Deno.test("downloads chart: hostile version text is escaped; empty and zero charts say so", () => {
  const html =
    downloadsChart([{ version: '</title><script>alert(1)</script>"', downloads: 5 }]).html;
  assertOk(!html.includes("<script"), html);
  assertIncludes(html, "&lt;/title&gt;&lt;script&gt;");
  assertIncludes(downloadsChart([]).html, '<desc id="downloads-chart-desc">No versions.</desc>');
  const zero = downloadsChart([{ version: "v1.0.0", downloads: 0 }]).html;
  assertIncludes(zero, "No downloads yet across 1 version.");
  assertIncludes(zero, 'height="0.0"');
  const odd =
    downloadsChart([{ version: "v1", downloads: NaN }, { version: "v2", downloads: -4 }]).html;
  assertIncludes(odd, "No downloads yet across 2 versions.");
});
