// Key case conversion for `keys: camelCase | snake_case`. Bodies repeat the same few keys, so
// results are cached: a repeated key costs one Map lookup. The cache stops growing at
// MAX_CACHED_KEYS entries (and skips long keys) so hostile bodies cannot grow memory without bound.

import type { KeyCase } from "./types.ts";

const MAX_CACHED_KEYS = 10_000;
const MAX_CACHED_KEY_LENGTH = 64;

/**
 * camelCase: "_" and "-" runs inside the key are dropped and the next character upper-cased;
 * nothing is lower-cased, so camelCase keys stay as they are ("ID" stays "ID", "USER_ID" →
 * "USERID"). Leading and trailing "_"/"-" are kept ("_id", "__proto__", "x_" unchanged).
 */
export function toCamelCase(key: string): string {
  const [start, end] = innerSpan(key);
  let i = start;
  while (i < end && !isSeparator(key.charCodeAt(i))) i++;
  if (i === end) return key;
  let out = key.slice(0, i);
  let upperNext = false;
  for (; i < end; i++) {
    const code = key.charCodeAt(i);
    if (isSeparator(code)) upperNext = true;
    else {
      out += upperNext ? upperChar(key[i]!, code) : key[i];
      upperNext = false;
    }
  }
  return out + key.slice(end);
}

/**
 * snake_case: "_" goes before an upper-case letter that follows a lower-case letter or a digit,
 * or that starts a word after an acronym; then letters are lower-cased and "-" becomes "_"
 * ("createdAt" → "created_at", "userID" → "user_id", "XMLHttpRequest" → "xml_http_request",
 * "user-name" → "user_name"). Leading and trailing "_"/"-" are kept as written.
 */
export function toSnakeCase(key: string): string {
  const [start, end] = innerSpan(key);
  let i = start;
  while (i < end) {
    const code = key.charCodeAt(i);
    if (code === 45 /* - */ || isUpper(key[i]!, code)) break;
    i++;
  }
  if (i === end) return key;
  let out = key.slice(0, i);
  for (; i < end; i++) {
    const code = key.charCodeAt(i);
    const ch = key[i]!;
    if (code === 45) out += "_";
    else if (isUpper(ch, code)) {
      if (i > start && startsWord(key, i, end)) out += "_";
      out += lowerChar(ch, code);
    } else out += ch;
  }
  return out + key.slice(end);
}

/** A converter for `kind` that remembers its answers (shared by every route: conversion is pure). */
export function keyConverter(kind: KeyCase): (key: string) => string {
  return kind === "camelCase" ? cachedCamel : cachedSnake;
}

const camelCache = new Map<string, string>();
const snakeCache = new Map<string, string>();

function cachedCamel(key: string): string {
  const hit = camelCache.get(key);
  if (hit !== undefined) return hit;
  const out = toCamelCase(key);
  if (camelCache.size < MAX_CACHED_KEYS && key.length <= MAX_CACHED_KEY_LENGTH) camelCache.set(key, out);
  return out;
}

function cachedSnake(key: string): string {
  const hit = snakeCache.get(key);
  if (hit !== undefined) return hit;
  const out = toSnakeCase(key);
  if (snakeCache.size < MAX_CACHED_KEYS && key.length <= MAX_CACHED_KEY_LENGTH) snakeCache.set(key, out);
  return out;
}

/** [start, end) of the key without its leading and trailing separator runs. */
function innerSpan(key: string): [number, number] {
  let start = 0;
  let end = key.length;
  while (start < end && isSeparator(key.charCodeAt(start))) start++;
  while (end > start && isSeparator(key.charCodeAt(end - 1))) end--;
  return [start, end];
}

/** An upper-case letter at i starts a word after a lower-case letter or digit, or ends an acronym ("LHt" in "XMLHttp"). */
function startsWord(key: string, i: number, end: number): boolean {
  const prevCode = key.charCodeAt(i - 1);
  if (isSeparator(prevCode)) return false;
  if (!isUpper(key[i - 1]!, prevCode)) return true;
  return i + 1 < end && isLower(key[i + 1]!, key.charCodeAt(i + 1));
}

function isSeparator(code: number): boolean {
  return code === 95 /* _ */ || code === 45 /* - */;
}

function isUpper(ch: string, code: number): boolean {
  if (code < 128) return code >= 65 && code <= 90;
  return ch !== ch.toLowerCase();
}

function isLower(ch: string, code: number): boolean {
  if (code < 128) return code >= 97 && code <= 122;
  return ch !== ch.toUpperCase();
}

function upperChar(ch: string, code: number): string {
  return code >= 97 && code <= 122 ? String.fromCharCode(code - 32) : code < 128 ? ch : ch.toUpperCase();
}

function lowerChar(ch: string, code: number): string {
  return code >= 65 && code <= 90 ? String.fromCharCode(code + 32) : code < 128 ? ch : ch.toLowerCase();
}
