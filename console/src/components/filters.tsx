import { useSearchParams } from 'wouter';

/**
 * Filters kept in the URL's query string, so a filtered view can be shared or bookmarked; the
 * server filters (each key is a query parameter of the list route).
 */
export function useUrlFilters<K extends string>(keys: readonly K[]) {
  const [params, setParams] = useSearchParams();
  const values = Object.fromEntries(keys.map((k) => [k, params.get(k) ?? ''])) as Record<K, string>;
  const set = (key: K, value: string) =>
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev);
        if (value) next.set(key, value);
        else next.delete(key);
        return next;
      },
      { replace: true },
    );
  return { values, set };
}

/** A labelled select whose first option, "any", is the empty value. */
export function FilterSelect({
  label,
  value,
  options,
  onChange,
}: {
  label: string;
  value: string;
  options: readonly string[];
  onChange: (v: string) => void;
}) {
  return (
    <label className="filter">
      {label}
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">any</option>
        {options.map((o) => (
          <option key={o} value={o}>
            {o.replace(/_/g, ' ')}
          </option>
        ))}
      </select>
    </label>
  );
}

export function FilterText({
  label,
  value,
  onChange,
  placeholder,
}: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  placeholder?: string;
}) {
  return (
    <label className="filter">
      {label}
      <input value={value} placeholder={placeholder} onChange={(e) => onChange(e.target.value)} />
    </label>
  );
}

/** Time range as `since` (ISO) from a relative choice; the URL keeps the absolute instant so a shared link shows the same rows. */
export function SinceSelect({ value, onChange }: { value: string; onChange: (v: string) => void }) {
  const choices: Array<[string, number]> = [
    ['last hour', 3_600_000],
    ['last 24 h', 86_400_000],
    ['last 7 d', 7 * 86_400_000],
    ['last 30 d', 30 * 86_400_000],
  ];
  return (
    <label className="filter">
      Since
      <select
        value={value ? 'custom' : ''}
        onChange={(e) => {
          const ms = choices.find(([name]) => name === e.target.value)?.[1];
          onChange(ms ? new Date(Date.now() - ms).toISOString() : '');
        }}
      >
        <option value="">any time</option>
        {value && <option value="custom">{new Date(value).toLocaleString()}</option>}
        {choices.map(([name]) => (
          <option key={name}>{name}</option>
        ))}
      </select>
    </label>
  );
}
