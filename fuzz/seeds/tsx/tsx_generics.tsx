// TSX: generic components (the trailing comma keeps `<T,>` from being JSX),
// type-only imports, non-null assertions, `as const`.
import type { ReactNode } from "react";
import { useMemo } from "react";

const SIZES = ["s", "m", "l"] as const;
type Size = (typeof SIZES)[number];

interface TableProps<Row extends { id: string }> {
  rows: Row[];
  render: (row: Row) => ReactNode;
  size?: Size;
}

export function Table<Row extends { id: string }>({ rows, render, size = "m" }: TableProps<Row>) {
  const sorted = useMemo(() => [...rows].sort((a, b) => a.id.localeCompare(b.id)), [rows]);
  return (
    <table data-size={size}>
      <tbody>
        {sorted.map((row) => (
          <tr key={row.id}>{render(row)}</tr>
        ))}
      </tbody>
    </table>
  );
}

export const Cell = <T,>({ value }: { value: T }) => <td>{String(value!)}</td>;

export default function Page(): JSX.Element {
  return <Table<{ id: string }> rows={[{ id: "a" }]} render={(r) => <Cell value={r.id} />} />;
}
