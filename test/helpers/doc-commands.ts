// The shell commands the docs tell users to run: the lines of their bash/sh code blocks.
import { readdirSync } from "node:fs";
import { readDoc } from "./doc-tables.js";

export interface DocCommand {
  /** The file it is in, from the repository root. */
  file: string;
  /** The command as a shell runs it: continuation lines joined, a here-document kept whole, trailing comments dropped. */
  text: string;
}

/** The docs whose commands users run: the README and every page under docs/. */
export function docFiles(): string[] {
  const pages = readdirSync(new URL("../../docs/", import.meta.url)).filter((name) => name.endsWith(".md"));
  return ["README.md", ...pages.sort().map((name) => `docs/${name}`)];
}

/** Every command of every bash/sh code block of `files`, in the order the docs give them. */
export function docCommands(files: string[] = docFiles()): DocCommand[] {
  return files.flatMap((file) =>
    [...readDoc(file).matchAll(/^```(?:bash|sh|shell)\n([\s\S]*?)^```/gm)].flatMap((block) =>
      commandsOf(block[1] ?? "").map((text) => ({ file, text })),
    ),
  );
}

function commandsOf(block: string): string[] {
  const commands: string[] = [];
  const lines = block.split("\n");
  for (let index = 0; index < lines.length; index++) {
    let line = withoutComment(lines[index] ?? "");
    if (line.trim() === "") continue;
    while (line.endsWith("\\") && index + 1 < lines.length) line = `${line.slice(0, -1).trimEnd()} ${(lines[++index] ?? "").trim()}`;
    const heredoc = /<<-?\s*'?(\w+)'?/.exec(line);
    if (heredoc) {
      const body: string[] = [];
      while (index + 1 < lines.length && lines[index + 1] !== heredoc[1]) body.push(lines[++index] ?? "");
      index++;
      line = [line, ...body, heredoc[1]].join("\n");
    }
    commands.push(line);
  }
  return commands;
}

/** A line without its trailing `# comment` (a `#` after whitespace, outside quotes); a comment line becomes empty. */
function withoutComment(line: string): string {
  let quote: string | undefined;
  for (let at = 0; at < line.length; at++) {
    const char = line.charAt(at);
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
    } else if (char === "'" || char === '"') {
      quote = char;
    } else if (char === "#" && (at === 0 || /\s/.test(line.charAt(at - 1)))) {
      return line.slice(0, at).trimEnd();
    }
  }
  return line.trimEnd();
}
