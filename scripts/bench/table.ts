/**
 * Prints benchmark rows as a plain-text table: measure, value, target and
 * whether it was met.
 *
 * @module
 */
import { meetsTarget, type Row } from "./types.ts";

function number(value: number, digits = 0): string {
  return value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

function withUnit(text: string, unit: string): string {
  return unit ? `${text} ${unit}` : text;
}

/**
 * Formats rows as a table.
 *
 * @param rows The rows, in order.
 * @returns The table's lines joined by newlines.
 */
export function formatTable(rows: readonly Row[]): string {
  const header = ["benchmark", "measure", "value", "target", "met"];
  const cells = rows.map((row) => {
    const met = meetsTarget(row);
    const target = row.target
      ? withUnit(
        `${row.target.kind === "min" ? ">=" : "<="} ${number(row.target.limit, row.digits)}`,
        row.unit,
      )
      : "";
    return [
      row.bench,
      row.metric,
      withUnit(number(row.value, row.digits), row.unit),
      target,
      met === undefined ? "" : met ? "yes" : "NO",
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) =>
    c.map((cell, i) => (i === 2 ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join(" | ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("-|-"), ...cells.map(line)].join(
    "\n",
  );
}
