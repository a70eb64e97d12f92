// GOPRIVATE-style patterns: the table of x/mod's TestMatchPrefixPatterns, then Go's
// path.Match rules the globs rely on (classes, escapes, malformed patterns).
import { matchPrefixPatterns, pathMatch } from "../src/gomod/match_prefix_patterns.ts";
import { assertEquals } from "./helpers/assert.ts";

const prefixCases: [string, string, boolean][] = [
  ["*/quote", "rsc.io/quote", true],
  ["*/quo", "rsc.io/quote", false],
  ["*/quo??", "rsc.io/quote", true],
  ["*/quo*", "rsc.io/quote", true],
  ["*quo*", "rsc.io/quote", false],
  ["rsc.io", "rsc.io/quote", true],
  ["*.io", "rsc.io/quote", true],
  ["rsc.io/", "rsc.io/quote", true],
  ["rsc", "rsc.io/quote", false],
  ["rsc*", "rsc.io/quote", true],
  ["rsc.io", "rsc.io/quote/v3", true],
  ["*/quote", "rsc.io/quote/v3", true],
  ["*/quote/", "rsc.io/quote/v3", true],
  ["*/quote/*", "rsc.io/quote/v3", true],
  ["*/quote/*/", "rsc.io/quote/v3", true],
  ["*/v3", "rsc.io/quote/v3", false],
  ["*/*/v3", "rsc.io/quote/v3", true],
  ["*/*/*", "rsc.io/quote/v3", true],
  ["*/*/*/", "rsc.io/quote/v3", true],
  ["*/*/*", "rsc.io/quote", false],
  ["*/*/*/", "rsc.io/quote", false],
  ["*/*/*,,", "rsc.io/quote", false],
  ["*/*/*,,*/quote", "rsc.io/quote", true],
  [",,*/quote", "rsc.io/quote", true],
  // modyard's own cases: whole elements only, lists, malformed globs match nothing.
  ["rsc.io/private", "rsc.io/privateer", false],
  ["corp.example.com", "corp.example.com/lib", true],
  ["corp.example.com", "corp.example.com.evil.io/lib", false],
  ["*.corp.example.com,rsc.io/private", "git.corp.example.com/x/y", true],
  ["[", "corp.example.com/lib", false],
  ["[,corp.example.com", "corp.example.com/lib", true],
  ["", "corp.example.com/lib", false],
  [",", "corp.example.com/lib", false],
];
for (const [globs, target, want] of prefixCases) {
  Deno.test(`matchPrefixPatterns(${JSON.stringify(globs)}, ${JSON.stringify(target)})`, () => {
    assertEquals(matchPrefixPatterns(globs, target), want);
  });
}

// Go's path.Match table (src/path/match_test.go); null stands for ErrBadPattern.
const matchCases: [string, string, boolean | null][] = [
  ["abc", "abc", true],
  ["*", "abc", true],
  ["*c", "abc", true],
  ["a*", "a", true],
  ["a*", "abc", true],
  ["a*", "ab/c", false],
  ["a*/b", "abc/b", true],
  ["a*/b", "a/c/b", false],
  ["a*b*c*d*e*/f", "axbxcxdxe/f", true],
  ["a*b*c*d*e*/f", "axbxcxdxexxx/f", true],
  ["a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false],
  ["a*b*c*d*e*/f", "axbxcxdxexxx/fff", false],
  ["a*b?c*x", "abxbbxdbxebxczzx", true],
  ["a*b?c*x", "abxbbxdbxebxczzy", false],
  ["ab[c]", "abc", true],
  ["ab[b-d]", "abc", true],
  ["ab[e-g]", "abc", false],
  ["ab[^c]", "abc", false],
  ["ab[^b-d]", "abc", false],
  ["ab[^e-g]", "abc", true],
  ["a\\*b", "a*b", true],
  ["a\\*b", "ab", false],
  ["a?b", "a☺b", true],
  ["a[^a]b", "a☺b", true],
  ["a???b", "a☺b", false],
  ["a[^a][^a][^a]b", "a☺b", false],
  ["[a-ζ]*", "α", true],
  ["*[a-ζ]", "A", false],
  ["a?b", "a/b", false],
  ["a*b", "a/b", false],
  ["[\\]a]", "]", true],
  ["[\\-]", "-", true],
  ["[x\\-]", "x", true],
  ["[x\\-]", "-", true],
  ["[x\\-]", "z", false],
  ["[\\-x]", "x", true],
  ["[\\-x]", "-", true],
  ["[\\-x]", "a", false],
  ["[]a]", "]", null],
  ["[-]", "-", null],
  ["[x-]", "x", null],
  ["[x-]", "-", null],
  ["[x-]", "z", null],
  ["[-x]", "x", null],
  ["[-x]", "-", null],
  ["[-x]", "a", null],
  ["\\", "a", null],
  ["[a-b-c]", "a", null],
  ["[", "a", null],
  ["[^", "a", null],
  ["[^bc", "a", null],
  ["a[", "a", null],
  ["a[", "ab", null],
  ["a[", "x", null],
  ["a/b[", "x", null],
  ["*x", "xxx", true],
];
for (const [pattern, name, want] of matchCases) {
  Deno.test(`pathMatch(${JSON.stringify(pattern)}, ${JSON.stringify(name)})`, () => {
    assertEquals(pathMatch(pattern, name), want);
  });
}
