// RFC 3986 §5.2.4 remove_dot_segments transcribed rule by rule (string buffers, slow): the oracle
// the segment-stack implementation is checked against.

export function rfcRemoveDotSegments(path: string): string {
  let input = path;
  let output = "";
  const dropLastSegment = () => {
    output = output.slice(0, Math.max(0, output.lastIndexOf("/")));
  };
  while (input.length > 0) {
    if (input.startsWith("../")) input = input.slice(3); // A
    else if (input.startsWith("./")) input = input.slice(2); // A
    else if (input.startsWith("/./")) input = "/" + input.slice(3); // B
    else if (input === "/.") input = "/"; // B
    else if (input.startsWith("/../")) {
      input = "/" + input.slice(4); // C
      dropLastSegment();
    } else if (input === "/..") {
      input = "/"; // C
      dropLastSegment();
    } else if (input === "." || input === "..") input = ""; // D
    else {
      // E: the first segment, with its leading "/" if any, up to (not including) the next "/"
      let end = input.indexOf("/", input.startsWith("/") ? 1 : 0);
      if (end === -1) end = input.length;
      output += input.slice(0, end);
      input = input.slice(end);
    }
  }
  return output;
}
