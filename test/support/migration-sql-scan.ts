// A static guard over migration files: a statement that would drop, alter, truncate, rewrite rows of,
// or hang an index, trigger or foreign key on an object the API owns. Comments are ignored; text in
// strings is not, so SQL run through EXECUTE is scanned too (a false alarm there is the safe side).

/** One offending statement: what it does and the API object it names. */
export interface ApiWrite {
  verb: string;
  name: string;
  statement: string;
}

/** Strips `--` and block comments, so prose naming a table never counts as a statement. */
function withoutComments(sql: string): string {
  return sql.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/--[^\n]*/g, ' ');
}

function escapeRegExp(name: string): string {
  return name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Statements in `sql` that change one of `names` (API tables and their indexes, constraints, sequences). */
export function findApiWrites(sql: string, names: readonly string[]): ApiWrite[] {
  const found: ApiWrite[] = [];
  const statements = withoutComments(sql)
    .split(';')
    .map((statement) => statement.replace(/\s+/g, ' ').trim())
    .filter((statement) => statement !== '');
  for (const statement of statements) {
    for (const name of names) {
      // `public.users`, `"users"` and `users` all name the same table.
      const ref = `(?:"?public"?\\.)?"?${escapeRegExp(name)}"?(?![\\w$])`;
      const patterns: Array<[string, RegExp]> = [
        ['DROP', new RegExp(`\\bDROP\\b.*(?<![\\w$])${ref}`, 'i')],
        ['ALTER', new RegExp(`\\bALTER\\b.*(?<![\\w$])${ref}`, 'i')],
        ['TRUNCATE', new RegExp(`\\bTRUNCATE\\b.*(?<![\\w$])${ref}`, 'i')],
        ['DELETE', new RegExp(`\\bDELETE\\s+FROM\\s+(?:ONLY\\s+)?${ref}`, 'i')],
        ['UPDATE', new RegExp(`\\bUPDATE\\s+(?:ONLY\\s+)?${ref}`, 'i')],
        ['CREATE INDEX', new RegExp(`\\bCREATE\\b.*\\bINDEX\\b.*\\bON\\s+(?:ONLY\\s+)?${ref}`, 'i')],
        ['CREATE TRIGGER', new RegExp(`\\bCREATE\\b.*\\b(?:TRIGGER|RULE|POLICY)\\b.*\\bON\\s+${ref}`, 'i')],
        ['REFERENCES', new RegExp(`\\bREFERENCES\\s+${ref}`, 'i')],
      ];
      for (const [verb, pattern] of patterns) {
        if (pattern.test(statement)) found.push({ verb, name, statement });
      }
    }
  }
  return found;
}
