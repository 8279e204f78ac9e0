#!/usr/bin/env bun
// `npx keel ...` entry: Bun (installed as an npm dependency) runs the TypeScript CLI directly.
import { main } from "../src/cli/main.ts";
process.exit(await main(process.argv.slice(2)));
