/**
 * Splits a command line into words the way a POSIX shell does for a simple command (PROTOCOL.md
 * §1): whitespace separates words, single quotes keep everything literally, double quotes keep
 * everything but `\"`, `\\`, `\$` and `` \` ``, and a backslash outside quotes escapes the next
 * character. There is no expansion of any kind (variables, globs, `~`) and no operators.
 */
export class ShellWordsError extends Error {}

export function splitShellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
      continue;
    }
    inWord = true;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end === -1) throw new ShellWordsError(`unterminated single quote in ${JSON.stringify(line)}`);
      word += line.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw new ShellWordsError(`unterminated double quote in ${JSON.stringify(line)}`);
        const d = line[i]!;
        if (d === '"') {
          i++;
          break;
        }
        if (d === '\\' && i + 1 < line.length && '"\\$`\n'.includes(line[i + 1]!)) {
          if (line[i + 1] !== '\n') word += line[i + 1];
          i += 2;
          continue;
        }
        word += d;
        i++;
      }
    } else if (c === '\\') {
      if (i + 1 >= line.length) throw new ShellWordsError(`trailing backslash in ${JSON.stringify(line)}`);
      if (line[i + 1] !== '\n') word += line[i + 1];
      i += 2;
    } else {
      word += c;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** A command line for display: words quoted only where needed. */
export function joinShellWords(words: readonly string[]): string {
  return words.map((word) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`)).join(' ');
}
