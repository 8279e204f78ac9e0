// RFC 3986 §5.2.4 remove_dot_segments for an absolute path, as a segment stack: each "/seg" the RFC
// moves to its output buffer is one stack entry, and rule C ("/..") removes the last one. A "." or
// ".." in last place leaves a trailing "/" (an empty last segment), as rules B and C do.

export function removeDotSegments(path: string): string {
  const segments = path.split("/"); // segments[0] is "" (the path starts with "/")
  const last = segments.length - 1;
  const out: string[] = [];
  for (let i = 1; i <= last; i++) {
    const s = segments[i]!;
    if (s === "..") {
      out.pop();
      if (i === last) out.push("");
    } else if (s === ".") {
      if (i === last) out.push("");
    } else out.push(s);
  }
  return "/" + out.join("/");
}
