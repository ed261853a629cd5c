/**
 * The part of better-sqlite3's API the benchmarks use (the package ships no types; this avoids a
 * dependency on @types/better-sqlite3).
 */
declare module 'better-sqlite3' {
  namespace BetterSqlite3 {
    interface RunResult {
      changes: number;
      lastInsertRowid: number | bigint;
    }
    interface Statement<Params extends unknown[] = unknown[], Row = unknown> {
      run(...params: Params): RunResult;
      get(...params: Params): Row | undefined;
      all(...params: Params): Row[];
      iterate(...params: Params): IterableIterator<Row>;
      pluck(toggle?: boolean): this;
      raw(toggle?: boolean): this;
    }
    interface Database {
      readonly name: string;
      readonly open: boolean;
      prepare<Params extends unknown[] = unknown[], Row = unknown>(source: string): Statement<Params, Row>;
      transaction<F extends (...args: never[]) => unknown>(fn: F): F;
      pragma(source: string, options?: { simple?: boolean }): unknown;
      exec(source: string): this;
      close(): this;
    }
    interface Options {
      readonly?: boolean;
      fileMustExist?: boolean;
      timeout?: number;
    }
    interface DatabaseConstructor {
      new (filename: string, options?: Options): Database;
      (filename: string, options?: Options): Database;
    }
  }
  namespace Database {
    type Database = BetterSqlite3.Database;
    type Statement<Params extends unknown[] = unknown[], Row = unknown> = BetterSqlite3.Statement<Params, Row>;
    type Options = BetterSqlite3.Options;
  }
  const Database: BetterSqlite3.DatabaseConstructor;
  export = Database;
}
