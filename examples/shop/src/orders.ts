import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';

export interface OrderLine {
  sku: string;
  qty: number;
  priceCents: number;
}

export interface Order {
  id: string;
  items: OrderLine[];
  totalCents: number;
  createdAt: number;
}

/**
 * The shop's own data, keyed by Guestpass's `sub`: a guest who registers keeps its `sub`, so
 * nothing here ever moves. Guests cannot order (the API wants `orders:write`), so a guest
 * merged into an account never leaves orders behind. SQLite with synchronous commits: an order
 * answered 201 is on disk.
 */
export class OrderStore {
  private readonly db: Database.Database;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`create table if not exists orders (
      id text primary key,
      user_id text not null,
      items text not null,
      total_cents integer not null,
      created_at integer not null
    );
    create index if not exists orders_by_user on orders (user_id, created_at);`);
  }

  place(userId: string, items: OrderLine[]): Order {
    const order: Order = { id: randomUUID(), items, totalCents: items.reduce((sum, line) => sum + line.qty * line.priceCents, 0), createdAt: Date.now() };
    this.db
      .prepare('insert into orders (id, user_id, items, total_cents, created_at) values (?, ?, ?, ?, ?)')
      .run(order.id, userId, JSON.stringify(items), order.totalCents, order.createdAt);
    return order;
  }

  listFor(userId: string): Order[] {
    const rows = this.db.prepare('select id, items, total_cents, created_at from orders where user_id = ? order by created_at desc limit 50').all(userId) as {
      id: string;
      items: string;
      total_cents: number;
      created_at: number;
    }[];
    return rows.map((row) => ({ id: row.id, items: JSON.parse(row.items) as OrderLine[], totalCents: row.total_cents, createdAt: row.created_at }));
  }

  close(): void {
    this.db.close();
  }
}
