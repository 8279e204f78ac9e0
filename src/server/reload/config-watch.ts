// --watch: reload when the config file's content changes. The directory is watched, not the
// file, because editors and config managers save by writing a new file and renaming it over the
// old one (a watch on the old inode would go quiet). Events are debounced, and a save that left
// the content as it was triggers nothing.

import { watch, readFileSync, type FSWatcher } from "node:fs";
import { basename, dirname, resolve } from "node:path";

/** Quiet time after the last event before the file is read (editors write in several steps). */
const DEBOUNCE_MS = 150;

export interface ConfigWatch {
  stop(): void;
}

export function watchConfig(file: string, onChange: () => void): ConfigWatch {
  const path = resolve(file);
  const name = basename(path);
  let last = read(path);
  let timer: ReturnType<typeof setTimeout> | null = null;
  const check = () => {
    timer = null;
    const now = read(path);
    if (now === null || now === last) return; // mid-rename, or saved unchanged
    last = now;
    onChange();
  };
  const watcher: FSWatcher = watch(dirname(path), (_event, changed) => {
    if (changed !== null && changed.toString() !== name) return;
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(check, DEBOUNCE_MS);
  });
  return {
    stop() {
      if (timer !== null) clearTimeout(timer);
      watcher.close();
    },
  };
}

function read(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}
