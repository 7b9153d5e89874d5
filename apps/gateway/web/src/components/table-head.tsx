/** A table's header row; an empty name is a column without a title (row actions). */
export function TableHead({ columns }: { columns: string[] }) {
  return (
    <thead>
      <tr>
        {columns.map((name, i) => (
          <th key={`${i}-${name}`}>{name}</th>
        ))}
      </tr>
    </thead>
  );
}
