import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's `db/migrations` folder, from both `src/` (tests) and `dist/` (the bin). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../db/migrations/', import.meta.url));

/** One numbered golang-migrate pair (`000001_name.up.sql` / `000001_name.down.sql`). */
export interface MigrationFile {
  version: number;
  name: string;
  up: string;
  down: string;
}

const FILE = /^(\d+)_(.+)\.(up|down)\.sql$/;

/** Reads every migration pair in `dir`, sorted by version; a missing half is an error naming the file. */
export async function readMigrationFiles(dir = MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const halves = new Map<number, { name: string; up?: string; down?: string }>();
  for (const entry of (await readdir(dir)).sort()) {
    const match = FILE.exec(entry);
    if (!match) continue;
    const version = Number(match[1]);
    const pair = halves.get(version) ?? { name: match[2] ?? '' };
    pair[match[3] as 'up' | 'down'] = await readFile(join(dir, entry), 'utf8');
    halves.set(version, pair);
  }
  return [...halves.entries()]
    .sort(([a], [b]) => a - b)
    .map(([version, pair]) => {
      if (pair.up === undefined || pair.down === undefined) {
        const missing = pair.up === undefined ? 'up' : 'down';
        throw new Error(`migration ${version}_${pair.name} has no .${missing}.sql file in ${dir}`);
      }
      return { version, name: pair.name, up: pair.up, down: pair.down };
    });
}
